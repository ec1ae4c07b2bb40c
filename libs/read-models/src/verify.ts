import type { EventStore, FeedCheckpoint } from '@ledger/event-store';
import { SCHEMA_NAME } from '@ledger/event-store';
import { type GenerationRow, compareCheckpoints, execScript, lockGeneration, placementOf, readGenerations, stepGeneration } from './generations';
import type { ReadModel } from './read-model';
import { createTableSql, differingKeys, tableDigest } from './table-sql';

export interface TableComparison {
  table: string;
  liveRows: number;
  rebuiltRows: number;
  liveDigest: string;
  rebuiltDigest: string;
  /** Up to 10 keys whose rows differ (missing on one side or changed). */
  differingKeys: string[];
}

export interface ReadModelVerifyReport {
  projector: string;
  ok: boolean;
  /** The live checkpoint both copies were compared at. */
  checkpoint: FeedCheckpoint;
  eventsReplayed: number;
  tables: TableComparison[];
  /** Set when there was nothing to compare (no live generation). */
  problem?: string;
}

export interface VerifyReadModelOptions {
  /** Scratch schema, dropped and recreated: never a schema holding anything else. */
  scratchSchema?: string;
  batchSize?: number;
  onProgress?: (eventsReplayed: number, position: number) => void;
}

/**
 * Rebuilds a read model from the feed into a scratch schema, up to exactly
 * the live checkpoint, and compares both copies table by table by digest. The
 * last stretch and the comparison run while holding the live generation's
 * row, so the live projector cannot move in between.
 */
export async function verifyReadModel(store: EventStore, model: ReadModel, options: VerifyReadModelOptions = {}): Promise<ReadModelVerifyReport> {
  const schema = options.scratchSchema ?? `ledger_verify_${model.name}`;
  if (!SCHEMA_NAME.test(schema) || schema === 'public') throw new Error(`scratch schema ${schema} is not a plain, dedicated schema name`);
  const batchSize = options.batchSize ?? 2_000;
  const live = (await readGenerations(store.sql, model.name)).find((g) => g.status === 'live');
  if (!live) return { projector: model.name, ok: false, checkpoint: { epoch: 0, txId: 0, position: 0 }, eventsReplayed: 0, tables: [], problem: 'no live generation' };
  const scratch = placementOf(1, schema);
  await store.transaction(async (s) => {
    await s.sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await s.sql.query(`CREATE SCHEMA ${schema}`);
    for (const table of model.tables) await execScript(s.sql, createTableSql(table, scratch));
  });
  const copy: GenerationRow = { ...live, generation: 1, checkpoint: { epoch: 0, txId: 0, position: 0 } };
  let eventsReplayed = 0;
  const step = async (session: Parameters<Parameters<EventStore['transaction']>[0]>[0], upTo: FeedCheckpoint) => {
    for (;;) {
      const events = await stepGeneration(session, model, copy, batchSize, { schema, upTo, record: false });
      eventsReplayed += events.length;
      const last = events[events.length - 1];
      if (last) options.onProgress?.(eventsReplayed, last.globalPosition);
      if (events.length === 0 || compareCheckpoints(copy.checkpoint, upTo) >= 0) return;
    }
  };
  try {
    await step(store, live.checkpoint);
    return await store.transaction(async (s) => {
      const held = (await lockGeneration(s.sql, model.name, { status: 'live' }, 'SHARE'))!;
      await step(s, held.checkpoint);
      const tables: TableComparison[] = [];
      for (const table of model.tables) {
        const a = await tableDigest(s.sql, table, placementOf(held.generation));
        const b = await tableDigest(s.sql, table, scratch);
        tables.push({
          table: table.name,
          liveRows: a.rows,
          rebuiltRows: b.rows,
          liveDigest: a.digest,
          rebuiltDigest: b.digest,
          differingKeys: a.digest === b.digest ? [] : await differingKeys(s.sql, table, placementOf(held.generation), scratch),
        });
      }
      return { projector: model.name, ok: tables.every((t) => t.liveDigest === t.rebuiltDigest), checkpoint: held.checkpoint, eventsReplayed, tables };
    });
  } finally {
    await store.sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  }
}
