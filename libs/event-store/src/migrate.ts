import { createHash } from 'node:crypto';
import type { ScriptExecutor, Database } from './database';
import { InvalidAppendError, MigrationMismatchError, SchemaTooNewError } from './errors';
import type { ComponentMigration, ComponentMigrationReport } from './event-store.port';
import { MIGRATIONS, type Migration } from './migrations';

export interface MigrationReport {
  applied: number[];
  schemaVersion: number;
  /** Set when transaction ids were found to have gone back and a new epoch began. */
  newEpoch?: number;
}

/** Names a component may keep tables under (see migrateComponent). */
export const COMPONENT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

const MAX_VERSION = 2_147_483_647; // the bookkeeping column is an integer

/**
 * Applies the store's pending migrations in one transaction under an advisory
 * lock, so that two processes starting at once apply each migration exactly
 * once (the second waits, then finds nothing to do).
 */
export async function migrate(db: Database, schema = 'public', migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  checkMigrations(migrations);
  return db.transaction(async (tx) => {
    await advisoryLock(tx, storeLockKey(schema));
    if (schema !== 'public') await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ledger_schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<AppliedMigration>('SELECT version, name, checksum FROM ledger_schema_migrations ORDER BY version');
    const { applied, version } = await applyPending(tx, migrations, rows, null, (m, sum) =>
      tx.query('INSERT INTO ledger_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, sum]),
    );
    const newEpoch = await startEpochIfTransactionIdsWentBack(tx);
    return { applied, schemaVersion: version, ...(newEpoch ? { newEpoch } : {}) };
  });
}

/**
 * Brings a component's own tables (beside the store's, in the same schema) up
 * to date, with the guarantees of the store's own migrations: one transaction,
 * an advisory lock per schema and component, checksums of what was applied,
 * recorded in ledger_component_migrations.
 *
 * The schema is the one the connection creates unqualified tables in
 * (`current_schema()`, set through the search_path by the backends): exactly
 * where the component's SQL lands, whatever the caller believes it to be.
 */
export async function migrateComponent(
  db: Database,
  component: string,
  migrations: readonly ComponentMigration[],
): Promise<ComponentMigrationReport> {
  if (typeof component !== 'string' || !COMPONENT_NAME.test(component))
    throw new InvalidAppendError('component', 'must be a name of lower-case letters, digits, _ and - starting with a letter (at most 63)');
  checkMigrations(migrations);
  return db.transaction(async (tx) => {
    const [where] = await tx.query<{ schema: string | null; ready: boolean }>(
      `SELECT current_schema() AS schema,
              EXISTS (SELECT 1 FROM pg_catalog.pg_tables
                      WHERE schemaname = current_schema() AND tablename = 'ledger_component_migrations') AS ready`,
    );
    if (!where?.schema) throw new Error('no schema to create tables in: the search_path names none that exists (migrate the store first)');
    const schema = where.schema;
    await advisoryLock(tx, `${storeLockKey(schema)}:${component}`);
    if (!where.ready) {
      // The first component in this schema, or several at once: concurrent
      // CREATE TABLE IF NOT EXISTS can still collide, so they take turns on
      // the store's own lock (always after a component's lock: no deadlock).
      await advisoryLock(tx, storeLockKey(schema));
      await tx.exec(`CREATE TABLE IF NOT EXISTS ledger_component_migrations (
        component  text NOT NULL,
        version    integer NOT NULL,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version)
      )`);
    }
    const rows = await tx.query<AppliedMigration>(
      'SELECT version, name, checksum FROM ledger_component_migrations WHERE component = $1 ORDER BY version',
      [component],
    );
    const { applied, version } = await applyPending(tx, migrations, rows, component, (m, sum) =>
      tx.query('INSERT INTO ledger_component_migrations (component, version, name, checksum) VALUES ($1, $2, $3, $4)', [
        component,
        m.version,
        m.name,
        sum,
      ]),
    );
    return { component, applied, version };
  });
}

/* ---------- shared by the store's migrations and the components' ---------- */

interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

const storeLockKey = (schema: string) => `licensing-ledger:migrate:${schema}`;

async function advisoryLock(tx: ScriptExecutor, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

const migrationChecksum = (m: Pick<Migration, 'sql'>): string => createHash('sha256').update(m.sql).digest('hex');

/** Versions strictly increasing positive integers; a name and some SQL each. Checked before any SQL. */
function checkMigrations(migrations: readonly Migration[]): void {
  if (!Array.isArray(migrations)) throw new InvalidAppendError('migrations', 'must be an array of { version, name, sql }');
  let previous = 0;
  migrations.forEach((m: Migration | null, i) => {
    const at = `migrations[${i}]`;
    if (typeof m !== 'object' || m === null) throw new InvalidAppendError(at, 'must be an object { version, name, sql }');
    if (!Number.isInteger(m.version) || m.version < 1 || m.version > MAX_VERSION)
      throw new InvalidAppendError(`${at}.version`, `must be a positive integer (at most ${MAX_VERSION}), got ${JSON.stringify(m.version)}`);
    if (m.version <= previous)
      throw new InvalidAppendError(`${at}.version`, `versions must increase strictly: ${m.version} follows ${previous}`);
    if (typeof m.name !== 'string' || m.name.trim() === '' || m.name.length > 200 || m.name.includes('\0'))
      throw new InvalidAppendError(`${at}.name`, 'must be a non-empty string of at most 200 characters');
    if (typeof m.sql !== 'string' || m.sql.trim() === '') throw new InvalidAppendError(`${at}.sql`, 'must be non-empty SQL');
    previous = m.version;
  });
}

/**
 * Inside the caller's transaction, under its lock: checks what was applied
 * against the list (nothing newer, nothing changed, removed or skipped), then
 * runs the rest in order, recording each one.
 */
async function applyPending(
  tx: ScriptExecutor,
  migrations: readonly Migration[],
  rows: readonly AppliedMigration[],
  component: string | null,
  record: (m: Migration, checksum: string) => Promise<unknown>,
): Promise<{ applied: number[]; version: number }> {
  const version = migrations[migrations.length - 1]?.version ?? 0;
  const newest = rows.reduce((max, row) => Math.max(max, row.version), 0);
  // First: an older build must not touch a newer database, whatever else differs.
  if (newest > version) throw new SchemaTooNewError(newest, version, component);
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const done = new Set<number>();
  for (const row of rows) {
    const known = byVersion.get(row.version);
    if (!known) throw new MigrationMismatchError(row.version, row.name, component, 'missing');
    if (migrationChecksum(known) !== row.checksum) throw new MigrationMismatchError(row.version, row.name, component, 'changed');
    done.add(row.version);
  }
  const pending = migrations.filter((m) => !done.has(m.version));
  const skipped = pending.find((m) => m.version < newest);
  if (skipped) throw new MigrationMismatchError(skipped.version, skipped.name, component, 'out_of_order');
  const applied: number[] = [];
  for (const m of pending) {
    await tx.exec(m.sql);
    await record(m, migrationChecksum(m));
    applied.push(m.version);
  }
  return { applied, version };
}

/**
 * The feed is ordered by (epoch, tx_id, position). Restoring a logical dump
 * into another cluster (or a PGlite folder into a fresh one) can put the
 * transaction counter below ids already stored: new events would then sort
 * before old ones and readers past them would never see them. A new epoch
 * sorts after everything before it.
 */
async function startEpochIfTransactionIdsWentBack(tx: ScriptExecutor): Promise<number | undefined> {
  const [row] = await tx.query<{ epoch: number; last_tx: string | null; now_tx: string }>(
    `SELECT e.epoch,
            -- Qualified: a bare ORDER BY tx_id would sort by the text output ('999' > '1000').
            (SELECT le.tx_id::text FROM ledger_events le WHERE le.epoch = e.epoch
             ORDER BY le.epoch DESC, le.tx_id DESC LIMIT 1) AS last_tx,
            pg_current_xact_id()::text AS now_tx
     FROM (SELECT max(epoch) AS epoch FROM ledger_epochs) e`,
  );
  if (!row || row.last_tx === null || BigInt(row.last_tx) < BigInt(row.now_tx)) return undefined;
  const epoch = Number(row.epoch) + 1;
  await tx.query('INSERT INTO ledger_epochs (epoch, reason) VALUES ($1, $2)', [
    epoch,
    `transaction id ${row.now_tx} is not past the last stored ${row.last_tx} (restored into another cluster?)`,
  ]);
  return epoch;
}
