import type { ComponentMigration, EventStore, EventStoreSession, FeedCheckpoint, FeedRead, RecordedEvent, SqlExecutor } from '@ledger/event-store';
import type { ReadModel, Rows } from './read-model';
import { RowSet } from './row-set';
import { type TablePlacement, createTableSql, dropTableSql, loadRows, trigramOpclass, viewSql, writeRows } from './table-sql';

export const READ_MODELS_COMPONENT = 'read-models';

/**
 * Each read model lives in numbered generations of its tables. Queries read
 * views named after the tables, pointing at the live generation; a rebuild
 * fills the next generation beside it and swaps the views in the same
 * transaction that makes it live. The checkpoint is kept on the generation's
 * row, so tables and checkpoint always commit together.
 */
export const READ_MODELS_MIGRATIONS: readonly ComponentMigration[] = [
  {
    version: 1,
    name: 'read-model generations and their checkpoints',
    sql: `
      CREATE TABLE read_model_generations (
        projector      text NOT NULL,
        generation     integer NOT NULL CHECK (generation > 0),
        model_version  integer NOT NULL,
        status         text NOT NULL CHECK (status IN ('live', 'building')),
        epoch          integer NOT NULL DEFAULT 0,
        tx_id          xid8 NOT NULL DEFAULT '0',
        position       bigint NOT NULL DEFAULT 0,
        events_applied bigint NOT NULL DEFAULT 0,
        last_event_at  text,
        started_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projector, generation)
      );
      CREATE UNIQUE INDEX read_model_generations_live ON read_model_generations (projector) WHERE status = 'live';
    `,
  },
];

export function migrateReadModels(store: EventStore) {
  return store.migrateComponent(READ_MODELS_COMPONENT, READ_MODELS_MIGRATIONS);
}

export interface GenerationRow {
  projector: string;
  generation: number;
  modelVersion: number;
  status: 'live' | 'building';
  checkpoint: FeedCheckpoint;
  eventsApplied: number;
  lastEventAt: string | null;
  updatedAt: string;
}

const GENERATION_COLUMNS = `projector, generation, model_version, status, epoch, tx_id::text AS tx_id, position, events_applied,
  last_event_at, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at`;

interface RawGeneration {
  projector: string;
  generation: number;
  model_version: number;
  status: 'live' | 'building';
  epoch: number;
  tx_id: string;
  position: string | number;
  events_applied: string | number;
  last_event_at: string | null;
  updated_at: string;
}

const toGeneration = (r: RawGeneration): GenerationRow => ({
  projector: r.projector,
  generation: Number(r.generation),
  modelVersion: Number(r.model_version),
  status: r.status,
  checkpoint: { epoch: Number(r.epoch), txId: Number(r.tx_id), position: Number(r.position) },
  eventsApplied: Number(r.events_applied),
  lastEventAt: r.last_event_at,
  updatedAt: r.updated_at,
});

export async function readGenerations(sql: SqlExecutor, projector?: string): Promise<GenerationRow[]> {
  const rows = await sql.query<RawGeneration>(
    `SELECT ${GENERATION_COLUMNS} FROM read_model_generations WHERE ($1::text IS NULL OR projector = $1) ORDER BY projector, generation`,
    [projector ?? null],
  );
  return rows.map(toGeneration);
}

/** Locks one generation's row until the transaction ends: its tables and checkpoint are ours meanwhile. */
export async function lockGeneration(
  sql: SqlExecutor,
  projector: string,
  which: { status: 'live' } | { generation: number },
  mode: 'UPDATE' | 'SHARE' = 'UPDATE',
): Promise<GenerationRow | null> {
  const [row] = await sql.query<RawGeneration>(
    `SELECT ${GENERATION_COLUMNS} FROM read_model_generations
     WHERE projector = $1 AND ${'status' in which ? "status = 'live'" : 'generation = $2'}
     FOR ${mode}`,
    'status' in which ? [projector] : [projector, which.generation],
  );
  return row ? toGeneration(row) : null;
}

export const placementOf = (generation: number, schema: string | null = null): TablePlacement => ({ schema, generation });

/**
 * Creates the next generation's tables and row. The first generation of a
 * model goes live at once (empty, at the start of the feed); later ones are
 * built beside the live one.
 */
export async function createGeneration(store: EventStore, model: ReadModel, options: { onlyIfNone?: boolean } = {}): Promise<GenerationRow> {
  // Outside the transaction: a refused CREATE EXTENSION would abort it.
  const trigram = model.tables.some((t) => t.indexes?.some((i) => i.trigram)) ? await trigramOpclass(store.sql) : null;
  return store.transaction(async (s) => {
    await s.sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`read-models:generations:${model.name}`]);
    const existing = await readGenerations(s.sql, model.name);
    const live = existing.find((g) => g.status === 'live');
    if (live && options.onlyIfNone) return live;
    const building = existing.find((g) => g.status === 'building');
    // A rebuild that died half-way leaves its tables: start that generation over.
    if (building) await dropGeneration(s.sql, model, building.generation);
    const generation = existing.reduce((max, g) => Math.max(max, g.generation), 0) + 1;
    const status = existing.some((g) => g.status === 'live') ? 'building' : 'live';
    const placement = placementOf(generation);
    for (const table of model.tables) await execScript(s.sql, createTableSql(table, placement, trigram));
    await s.sql.query(
      'INSERT INTO read_model_generations (projector, generation, model_version, status) VALUES ($1, $2, $3, $4)',
      [model.name, generation, model.version, status],
    );
    if (status === 'live') for (const table of model.tables) await execScript(s.sql, viewSql(table, placement));
    const [row] = await readGenerations(s.sql, model.name).then((rows) => rows.filter((g) => g.generation === generation));
    return row!;
  });
}

async function dropGeneration(sql: SqlExecutor, model: ReadModel, generation: number): Promise<void> {
  for (const table of model.tables) await execScript(sql, dropTableSql(table, placementOf(generation)));
  await sql.query('DELETE FROM read_model_generations WHERE projector = $1 AND generation = $2', [model.name, generation]);
}

/**
 * Every read model has its tables (empty at first) before anything queries
 * them, whichever process runs the projectors; concurrent callers create
 * them once.
 */
export async function ensureLiveGenerations(store: EventStore, models: readonly ReadModel[]): Promise<void> {
  await migrateReadModels(store);
  for (const model of models) await createGeneration(store, model, { onlyIfNone: true });
}

/** Several statements through the one-statement query API (both drivers accept a simple multi-statement query without parameters). */
async function execScript(sql: SqlExecutor, script: string): Promise<void> {
  for (const statement of script.split(/;\s*/).map((s) => s.trim()).filter(Boolean)) await sql.query(statement);
}

/** Folds events into a placement's tables: load the touched rows, fold in memory, write what changed. */
export async function applyEvents(sql: SqlExecutor, model: ReadModel, placement: TablePlacement, events: readonly RecordedEvent[]): Promise<void> {
  const wanted = new Map<string, Set<string>>(model.tables.map((t) => [t.name, new Set<string>()]));
  for (const event of events) for (const [table, key] of model.touches(event)) wanted.get(table)?.add(key);
  const rows = new RowSet(model.tables);
  // One statement per table, sent together: postgres.js pipelines them on the transaction's connection.
  await Promise.all(
    model.tables.map(async (table) => {
      const keys = [...wanted.get(table.name)!];
      const found = await loadRows(sql, table, placement, keys);
      const byKey = new Map(found.map((r) => [String(r[table.key]), r]));
      for (const key of keys) rows.load(table.name, key, byKey.get(key) ?? null);
    }),
  );
  for (const event of events) applyOnce(model, rows, event);
  await Promise.all(rows.changes().map((change) => writeRows(sql, change.table, placement, change.upserts, change.deletes)));
}

/**
 * Every row follows one stream, so its last_position says which of that
 * stream's events it has seen: an event delivered again is skipped.
 */
export function applyOnce(model: ReadModel, rows: Rows, event: RecordedEvent): void {
  const touched = model.touches(event);
  if (touched.length === 0) return;
  const seen = touched.some(([table, key]) => {
    const position = rows.get(table, key)?.['last_position'];
    return position !== undefined && position !== null && Number(position) >= event.globalPosition;
  });
  if (!seen) model.apply(rows, event);
}

export const compareCheckpoints = (a: FeedCheckpoint, b: FeedCheckpoint): number =>
  a.epoch - b.epoch || a.txId - b.txId || a.position - b.position;

export const checkpointOf = (e: RecordedEvent): FeedCheckpoint => ({ epoch: e.epoch, txId: e.txId, position: e.globalPosition });

/**
 * One batch of the feed into one generation, in one transaction with its
 * checkpoint: a crash anywhere leaves either the whole batch or none of it.
 * `upTo` stops at a checkpoint (verify's scratch copy catches up to the live one exactly).
 */
export async function stepGeneration(
  session: EventStoreSession,
  model: ReadModel,
  generation: GenerationRow,
  batchSize: number,
  options: { schema?: string | null; upTo?: FeedCheckpoint; record?: boolean; prefetched?: FeedRead } = {},
): Promise<RecordedEvent[]> {
  const feed = options.prefetched ?? (await session.readFeed({ after: generation.checkpoint, limit: batchSize }));
  const events = options.upTo ? feed.events.filter((e) => compareCheckpoints(checkpointOf(e), options.upTo!) <= 0) : feed.events;
  if (events.length === 0) return [];
  await applyEvents(session.sql, model, placementOf(generation.generation, options.schema ?? null), events);
  const last = events[events.length - 1]!;
  generation.checkpoint = checkpointOf(last);
  if (options.record === false) return events;
  await session.sql.query(
    `UPDATE read_model_generations
     SET epoch = $3, tx_id = $4::xid8, position = $5, events_applied = events_applied + $6, last_event_at = $7, updated_at = now()
     WHERE projector = $1 AND generation = $2`,
    [model.name, generation.generation, last.epoch, String(last.txId), last.globalPosition, events.length, last.metadata.recordedAt],
  );
  return events;
}

export { dropGeneration, execScript };
