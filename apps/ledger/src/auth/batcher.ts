/**
 * Lookups of concurrent requests, merged: one query at a time is in flight,
 * and every key asked for meanwhile goes out together in the next one, sent
 * after those requests arrived (so a revocation committed before a request
 * is seen by it). Alone, a request waits one turn of the event loop; under
 * load, tens of requests share one round trip, with no timer to tune.
 */
export class Batcher<K, V> {
  private pending = new Map<K, { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[]>();
  private scheduled = false;
  private inFlight = false;

  constructor(
    private readonly load: (keys: K[]) => Promise<ReadonlyMap<K, V>>,
    private readonly maxBatch = 500,
  ) {}

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = [...this.pending];
    this.pending = new Map();
    this.inFlight = true;
    try {
      const chunks = [];
      for (let i = 0; i < batch.length; i += this.maxBatch) chunks.push(batch.slice(i, i + this.maxBatch));
      await Promise.all(chunks.map((chunk) => this.answer(chunk)));
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }

  private async answer(chunk: [K, { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[]][]): Promise<void> {
    try {
      const found = await this.load(chunk.map(([key]) => key));
      for (const [key, waiting] of chunk) for (const w of waiting) w.resolve(found.get(key));
    } catch (error) {
      for (const [, waiting] of chunk) for (const w of waiting) w.reject(error);
    }
  }
}
