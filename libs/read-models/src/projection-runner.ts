import type { EventStore, FeedCheckpoint, FeedRead, RecordedEvent, StoreLock } from '@ledger/event-store';
import {
  type GenerationRow,
  checkpointOf,
  compareCheckpoints,
  createGeneration,
  lockGeneration,
  ensureLiveGenerations,
  readGenerations,
  stepGeneration,
} from './generations';
import { rebuildReadModel } from './rebuild';
import type { ReadModel } from './read-model';
import { type ProjectionStatus, projectionStatus } from './status';

export interface ProjectionRunnerOptions {
  /** Events per batch (one transaction each). */
  batchSize?: number;
  /** Polling fallback when no notification arrives (a lost LISTEN connection, PGlite in another process). */
  pollMs?: number;
  /** How often a standby retries to become the active instance of a projector. */
  standbyRetryMs?: number;
  /**
   * Once caught up, the shortest time between the starts of two batches of one
   * projector: under a steady stream of commands, batches of a few events each
   * would cost a transaction per projector per wake-up; waiting a little
   * gathers them. An idle projector woken after longer starts at once.
   */
  minIntervalMs?: number;
  log?: (entry: { level: 'info' | 'warn' | 'error'; msg: string; projector?: string; error?: unknown; [k: string]: unknown }) => void;
  /** After each committed batch: how long its events waited since they were recorded (ms). */
  onBatch?: (projector: string, events: number, delaysMs: readonly number[]) => void;
  /** Wall clock for delays (tests pin it). */
  now?: () => number;
}

interface Loop {
  model: ReadModel;
  active: boolean;
  error: string | null;
  wake: () => void;
  sleeping: Promise<void> | null;
  done: Promise<void>;
}

/**
 * Runs the read models: each one folds the feed after its checkpoint in
 * batches, one transaction per batch with its checkpoint. Only one instance
 * per projector is active (a store lock); others stand by and take over
 * when it goes away. Each batch also locks its generation's row, so even two
 * active instances could never apply a batch twice.
 */
export class ProjectionRunner {
  private readonly loops = new Map<string, Loop>();
  private stopping = false;
  private unwatch: (() => Promise<void>) | null = null;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly standbyRetryMs: number;
  private readonly minIntervalMs: number;
  private readonly listeners = new Set<() => void>();
  private readonly feed: SharedFeed;

  constructor(
    private readonly store: EventStore,
    readonly models: readonly ReadModel[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.standbyRetryMs = options.standbyRetryMs ?? 2_000;
    this.minIntervalMs = options.minIntervalMs ?? 25;
    this.feed = new SharedFeed(store);
  }

  async start(): Promise<void> {
    await ensureLiveGenerations(this.store, this.models);
    this.unwatch = await this.store.watchFeed(() => this.wakeAll());
    for (const model of this.models) {
      const loop: Loop = { model, active: false, error: null, wake: () => undefined, sleeping: null, done: Promise.resolve() };
      loop.done = this.run(loop);
      this.loops.set(model.name, loop);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeAll();
    await Promise.all([...this.loops.values()].map((l) => l.done));
    await this.unwatch?.();
    this.unwatch = null;
  }

  /** Wakes every projector now (a command in this process committed). */
  wakeAll(): void {
    for (const loop of this.loops.values()) loop.wake();
  }

  /** Called after any batch commits here: read-your-writes waiters re-check at once. */
  onProgress(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isActive(projector: string): boolean {
    return this.loops.get(projector)?.active ?? false;
  }

  async status(): Promise<ProjectionStatus[]> {
    const rows = await projectionStatus(this.store, this.models);
    return rows.map((r) => ({ ...r, activeHere: this.isActive(r.projector), error: this.loops.get(r.projector)?.error ?? null }));
  }

  private async run(loop: Loop): Promise<void> {
    let backoff = 500;
    while (!this.stopping) {
      const lock = await this.store.tryLock(`projector:${loop.model.name}`).catch((error: unknown) => {
        this.log('warn', 'could not ask for the projector lock', loop.model.name, error);
        return null;
      });
      if (!lock) {
        await this.sleep(loop, this.standbyRetryMs);
        continue;
      }
      loop.active = true;
      try {
        await this.follow(loop);
        backoff = 500;
      } catch (error) {
        loop.error = error instanceof Error ? error.message : String(error);
        this.log('error', 'projector failed; retrying', loop.model.name, error, { retryInMs: backoff });
        await this.sleep(loop, backoff);
        backoff = Math.min(backoff * 2, 30_000);
      } finally {
        loop.active = false;
        await release(lock);
      }
    }
  }

  private async follow(loop: Loop): Promise<void> {
    const { model } = loop;
    let checkpoint = (await this.ensureCurrent(model)).checkpoint;
    this.log('info', 'projector active', model.name);
    let started = 0;
    while (!this.stopping) {
      started = performance.now();
      // Read outside the batch's transaction, shared by every projector here at
      // the same checkpoint (they usually are: they all follow the one feed).
      // Nothing new: no transaction at all.
      const feed = await this.feed.read(checkpoint, this.batchSize);
      let applied: RecordedEvent[] = [];
      if (feed.events.length > 0) {
        const outcome = await this.store.transaction(async (s) => {
          const live = await lockGeneration(s.sql, model.name, { status: 'live' });
          if (!live) throw new Error(`read model ${model.name} has no live generation`);
          if (live.modelVersion !== model.version) return 'outdated' as const;
          // Someone else moved it (a rebuild swapped in, another instance ran):
          // what was read may not start where the model is; read again from there.
          if (compareCheckpoints(live.checkpoint, checkpoint) !== 0) return live.checkpoint;
          return stepGeneration(s, model, live, this.batchSize, { prefetched: feed });
        });
        if (outcome === 'outdated') {
          // Another instance's newer code, or ours after an upgrade: rebuild before following.
          checkpoint = (await this.ensureCurrent(model)).checkpoint;
          continue;
        }
        if (!Array.isArray(outcome)) {
          checkpoint = outcome;
          continue;
        }
        applied = outcome;
        checkpoint = checkpointOf(applied[applied.length - 1]!);
      }
      loop.error = null;
      if (applied.length > 0) {
        const now = (this.options.now ?? Date.now)();
        this.options.onBatch?.(model.name, applied.length, applied.map((e) => now - Date.parse(e.metadata.recordedAt)));
        for (const listener of this.listeners) listener();
      }
      if (feed.events.length < this.batchSize) {
        await this.sleep(loop, this.pollMs);
        const early = started + this.minIntervalMs - performance.now();
        if (early > 0 && !this.stopping) await new Promise((resolve) => setTimeout(resolve, early));
      }
    }
  }

  /** A model with no tables yet gets its first generation; one at another version is rebuilt and swapped. */
  private async ensureCurrent(model: ReadModel): Promise<GenerationRow> {
    const live = (await readGenerations(this.store.sql, model.name)).find((g) => g.status === 'live');
    if (!live) return createGeneration(this.store, model, { onlyIfNone: true });
    if (live.modelVersion === model.version) return live;
    this.log('warn', 'read model version changed: rebuilding', model.name, undefined, { from: live.modelVersion, to: model.version });
    await rebuildReadModel(this.store, model, { batchSize: this.batchSize });
    return (await readGenerations(this.store.sql, model.name)).find((g) => g.status === 'live')!;
  }

  private sleep(loop: Loop, ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      loop.wake = done;
    });
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, projector?: string, error?: unknown, extra: Record<string, unknown> = {}): void {
    this.options.log?.({ level, msg, ...(projector ? { projector } : {}), ...(error ? { error } : {}), ...extra });
  }
}

async function release(lock: StoreLock): Promise<void> {
  try {
    await lock.release();
  } catch {
    // The lock died with its connection: nothing left to release.
  }
}

/**
 * Feed reads shared by the projectors of one process: those asking from the
 * same checkpoint at about the same time (woken by the same notification)
 * share one query. A read is kept only while in flight and a few
 * milliseconds after, so a later ask sees later commits.
 */
class SharedFeed {
  private readonly reads = new Map<string, Promise<FeedRead>>();

  constructor(private readonly store: EventStore) {}

  read(after: FeedCheckpoint, limit: number): Promise<FeedRead> {
    const key = `${after.epoch}.${after.txId}.${after.position}/${limit}`;
    const known = this.reads.get(key);
    if (known) return known;
    const read = this.store.readFeed({ after, limit });
    this.reads.set(key, read);
    const forget = () => setTimeout(() => this.reads.delete(key), 5);
    read.then(forget, forget);
    return read;
  }
}
