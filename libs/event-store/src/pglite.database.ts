import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Database, DatabaseLock, ScriptExecutor } from './database';
import { DataDirLockedError } from './errors';

export interface PgliteOptions {
  /** Folder the database persists to; in memory when absent. */
  dataDir?: string;
  schema?: string;
}

function executor(db: PGlite | Transaction): ScriptExecutor {
  return {
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await db.query<Row>(text, params as unknown[])).rows,
    exec: async (script: string) => {
      await db.exec(script);
    },
  };
}

export async function openPglite(options: PgliteOptions): Promise<Database> {
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  const release = dataDir ? lockDataDir(dataDir) : () => undefined;
  let db: PGlite;
  try {
    // pg_trgm is loaded (not created) so that read models can index substring search, as on a server where it ships with PostgreSQL.
    db = new PGlite({ ...(dataDir ? { dataDir } : {}), extensions: { pg_trgm } });
    await db.waitReady;
    if (options.schema) {
      // One connection for the process: setting the path once holds for every statement.
      await db.exec(`CREATE SCHEMA IF NOT EXISTS ${options.schema}; SET search_path TO ${options.schema}`);
    }
  } catch (error) {
    release();
    throw error;
  }
  let closed = false;
  // One PGlite is one session, whose advisory locks are re-entrant; and no
  // other process can open this database (the folder lock, or memory).
  // So a lock is a name held in this process.
  const held = new Set<string>();
  return {
    backend: 'pglite',
    ...executor(db),
    transaction: <T>(fn: (tx: ScriptExecutor) => Promise<T>) => db.transaction((tx) => fn(executor(tx))),
    listen: async (channel: string, fn: () => void) => {
      let active = true;
      // Quoted: PGlite would fold the name to lower case otherwise. It calls back in a microtask already.
      const stop = await db.listen(`"${channel}"`, () => {
        if (active) fn();
      });
      return async () => {
        if (!active) return;
        active = false;
        if (!closed) await stop();
      };
    },
    tryLock: async (scope: string, name: string): Promise<DatabaseLock | null> => {
      if (closed) throw new Error('the store is closed');
      const key = `${scope}\n${name}`;
      if (held.has(key)) return null;
      held.add(key);
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          held.delete(key);
        },
      };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      held.clear();
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}

/**
 * PGlite is one PostgreSQL backend inside this process: two processes opening
 * the same folder would corrupt it. A lock file naming the owner's pid keeps
 * the second one out (and a second open in this process too); a lock left by
 * a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, 'ledger.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(owner) && isAlive(owner)) throw new DataDirLockedError(dataDir, owner);
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
