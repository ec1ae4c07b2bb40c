import { createHash } from 'node:crypto';
import type { ScriptExecutor, Database } from './database';
import { MigrationMismatchError, SchemaTooNewError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';

export interface MigrationReport {
  applied: number[];
  schemaVersion: number;
  /** Set when transaction ids were found to have gone back and a new epoch began. */
  newEpoch?: number;
}

const checksum = (m: Migration) => createHash('sha256').update(m.sql).digest('hex');

/**
 * Applies the pending migrations in one transaction under an advisory lock,
 * so that two processes starting at once apply each migration exactly once
 * (the second waits, then finds nothing to do).
 */
export async function migrate(db: Database, schema = 'public', migrations = MIGRATIONS): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`licensing-ledger:migrate:${schema}`]);
    if (schema !== 'public') await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ledger_schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM ledger_schema_migrations ORDER BY version',
    );
    const latest = migrations[migrations.length - 1]?.version ?? 0;
    const done = new Set<number>();
    for (const row of rows) {
      const known = migrations.find((m) => m.version === row.version);
      if (!known) throw new SchemaTooNewError(row.version, latest);
      if (checksum(known) !== row.checksum) throw new MigrationMismatchError(row.version, row.name);
      done.add(row.version);
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO ledger_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        checksum(m),
      ]);
      applied.push(m.version);
    }
    const newEpoch = await startEpochIfTransactionIdsWentBack(tx);
    return { applied, schemaVersion: latest, ...(newEpoch ? { newEpoch } : {}) };
  });
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
