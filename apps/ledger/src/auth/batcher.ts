/**
 * Lookups of concurrent requests, merged: every key asked for while the
 * event loop handles one round of I/O goes out in one query, after those
 * requests arrived (so a revocation committed before a request is seen by
 * it). Under load, tens of requests share one round trip; alone, a request
 * waits one turn of the loop.
 */
export class Batcher<K, V> {
  private pending = new Map<K, { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[]>();
  private scheduled = false;

  constructor(
    private readonly load: (keys: K[]) => Promise<ReadonlyMap<K, V>>,
    private readonly maxBatch = 500,
  ) {}

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = [...this.pending];
    this.pending = new Map();
    for (let i = 0; i < batch.length; i += this.maxBatch) {
      const chunk = batch.slice(i, i + this.maxBatch);
      this.load(chunk.map(([key]) => key)).then(
        (found) => {
          for (const [key, waiting] of chunk) for (const w of waiting) w.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const [, waiting] of chunk) for (const w of waiting) w.reject(error);
        },
      );
    }
  }
}
