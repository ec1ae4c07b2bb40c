import postgres from 'postgres';
import type { Database, DatabaseLock, ScriptExecutor } from './database';

export interface PostgresOptions {
  url: string;
  /** Schema holding the store's tables; created on migrate. Defaults to `public`. */
  schema?: string;
  /** Connections in the pool; defaults to 10. */
  poolSize?: number;
}

type Sql = postgres.Sql | postgres.TransactionSql;

function executor(sql: Sql): ScriptExecutor {
  return {
    // Prepared statements: the store sends the same few statements over and over.
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as Row[],
    exec: async (script: string) => {
      await sql.unsafe(script);
    },
  };
}

export function openPostgres(options: PostgresOptions): Database {
  const connection = {
    application_name: 'licensing-ledger',
    ...(options.schema ? { search_path: options.schema } : {}),
  };
  const sql = postgres(options.url, { max: options.poolSize ?? 10, onnotice: () => undefined, connection });
  let closed = false;
  let closing: Promise<void> | null = null;

  /*
   * Session locks live on a connection of their own, outside the pool: one
   * reserved from the pool (sql.reserve()) would shrink it for as long as the
   * lock is held (a pool of one would stall every query), and postgres.js's
   * default max_lifetime ends a connection after 30-60 minutes, which would
   * drop the lock unnoticed. One connection serves every lock of this
   * Database, opened on the first tryLock.
   */
  let lockSql: postgres.Sql | null = null;
  // PostgreSQL's session locks are re-entrant within a session: our own
  // holds must be refused here, before the server would grant them again.
  const held = new Map<string, DatabaseLock>();

  const tryLock = async (scope: string, name: string): Promise<DatabaseLock | null> => {
    if (closed) throw new Error('the store is closed');
    const key = `${scope}\n${name}`;
    if (held.has(key)) return null;
    const placeholder: DatabaseLock = { release: async () => undefined };
    held.set(key, placeholder); // taken before the round trip: two tryLocks at once in this process get one lock
    lockSql ??= postgres(options.url, {
      max: 1,
      max_lifetime: null,
      idle_timeout: 0,
      onnotice: () => undefined,
      connection: { application_name: 'licensing-ledger locks' },
    });
    const locks = lockSql;
    let locked: boolean;
    try {
      const [row] = await locks.unsafe<{ locked: boolean }[]>('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked', [scope, name]);
      locked = row!.locked;
    } catch (error) {
      held.delete(key);
      throw error;
    }
    if (!locked) {
      held.delete(key);
      return null;
    }
    let released: Promise<void> | null = null;
    const lock: DatabaseLock = {
      release: () =>
        (released ??= (async () => {
          try {
            // Explicitly, not by closing: when release() resolves the lock is free, not merely about to be.
            await locks.unsafe('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [scope, name]);
          } finally {
            held.delete(key);
          }
        })()),
    };
    held.set(key, lock);
    return lock;
  };

  const listen = async (channel: string, fn: () => void): Promise<() => Promise<void>> => {
    let active = true;
    // Never inside postgres.js's socket handler: a throw there would break the connection.
    const wake = () => {
      if (active) queueMicrotask(fn);
    };
    let listened = false;
    // postgres.js listens again on a new connection after losing one; what
    // was appended in between announced itself to no one, so wake up then.
    const { unlisten } = await sql.listen(channel, wake, () => {
      if (listened) wake();
      listened = true;
    });
    return async () => {
      if (!active) return;
      // Flag first: after a reconnect postgres.js's unlisten no longer finds this listener.
      active = false;
      if (!closed) await unlisten();
    };
  };

  return {
    backend: 'postgres',
    ...executor(sql),
    transaction: async <T>(fn: (tx: ScriptExecutor) => Promise<T>) =>
      (await sql.begin((tx) => fn(executor(tx)))) as T,
    listen,
    tryLock,
    close: () => {
      closed = true;
      return (closing ??= (async () => {
        try {
          await Promise.allSettled([...held.values()].map((lock) => lock.release()));
          await lockSql?.end({ timeout: 5 });
        } finally {
          await sql.end({ timeout: 5 });
        }
      })());
    },
  };
}
