import type { EventStore, FeedCheckpoint, FeedRead } from '@ledger/event-store';
import {
  type GenerationRow,
  checkpointOf,
  compareCheckpoints,
  createGeneration,
  dropGeneration,
  execScript,
  lockGeneration,
  placementOf,
  stepGeneration,
} from './generations';
import type { ReadModel } from './read-model';
import { physicalName, viewSql } from './table-sql';

export interface RebuildProgress {
  projector: string;
  generation: number;
  eventsApplied: number;
  position: number;
}

export interface RebuildOptions {
  batchSize?: number;
  onProgress?: (progress: RebuildProgress) => void;
  signal?: AbortSignal;
}

export interface RebuildReport {
  projector: string;
  generation: number;
  replaced: number | null;
  eventsApplied: number;
  checkpoint: FeedCheckpoint;
  seconds: number;
}

export class RebuildInProgressError extends Error {
  readonly code = 'REBUILD_IN_PROGRESS';
  constructor(readonly projector: string) {
    super(`a rebuild of read model ${projector} is already running`);
  }
}

/**
 * Rebuilds a read model from position zero into a new generation of its
 * tables while the live one keeps serving (and following the feed), then, in
 * one transaction that waits for the live projector's current batch, catches
 * up the last events, points the views at the new tables and drops the old.
 */
export async function rebuildReadModel(store: EventStore, model: ReadModel, options: RebuildOptions = {}): Promise<RebuildReport> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 2_000;
  const lock = await store.tryLock(`projector-rebuild:${model.name}`);
  if (!lock) throw new RebuildInProgressError(model.name);
  try {
    const building = await createGeneration(store, model);
    if (building.status === 'live') {
      // Nothing was live: the new generation is the live one; the projector fills it.
      return { projector: model.name, generation: building.generation, replaced: null, eventsApplied: 0, checkpoint: building.checkpoint, seconds: 0 };
    }
    let eventsApplied = 0;
    // The next batch is read while this one is applied: the feed read and the
    // fold then overlap (the building generation is ours alone, so a batch
    // read ahead stays valid as long as its start is the checkpoint applied).
    let next: Promise<FeedRead> = store.readFeed({ after: building.checkpoint, limit: batchSize });
    for (;;) {
      options.signal?.throwIfAborted();
      const feed = await next;
      if (feed.events.length === batchSize) next = store.readFeed({ after: feed.checkpoint, limit: batchSize });
      const events = await store.transaction(async (s) => {
        const row = (await lockGeneration(s.sql, model.name, { generation: building.generation }))!;
        if (compareCheckpoints(row.checkpoint, building.checkpoint) !== 0) throw new Error(`generation ${row.generation} of ${model.name} moved under its rebuild`);
        return stepGeneration(s, model, row, batchSize, { prefetched: feed });
      });
      const last = events[events.length - 1];
      if (last) building.checkpoint = checkpointOf(last);
      eventsApplied += events.length;
      if (last) options.onProgress?.({ projector: model.name, generation: building.generation, eventsApplied, position: last.globalPosition });
      if (feed.events.length < batchSize) break;
    }
    const swapped = await store.transaction(async (s) => {
      const live = await lockGeneration(s.sql, model.name, { status: 'live' });
      const row = (await lockGeneration(s.sql, model.name, { generation: building.generation }))!;
      for (;;) {
        const events = await stepGeneration(s, model, row, batchSize);
        eventsApplied += events.length;
        if (events.length < batchSize) break;
      }
      for (const table of model.tables) await execScript(s.sql, viewSql(table, placementOf(row.generation)));
      if (live) await dropGeneration(s.sql, model, live.generation);
      await s.sql.query("UPDATE read_model_generations SET status = 'live' WHERE projector = $1 AND generation = $2", [model.name, row.generation]);
      return { live, row };
    });
    await analyze(store, model, building.generation);
    return {
      projector: model.name,
      generation: building.generation,
      replaced: swapped.live?.generation ?? null,
      eventsApplied,
      checkpoint: swapped.row.checkpoint,
      seconds: (performance.now() - started) / 1_000,
    };
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * Fresh tables have no statistics and no visibility map: the planner would
 * guess, and index-only scans would visit the heap. VACUUM cannot run in a
 * transaction, so this comes after the swap; autovacuum keeps it up later.
 */
async function analyze(store: EventStore, model: ReadModel, generation: number): Promise<void> {
  for (const table of model.tables) {
    await store.sql.query(`VACUUM (ANALYZE) ${physicalName(table, placementOf(generation))}`).catch(() => undefined);
  }
}

export type { GenerationRow };
