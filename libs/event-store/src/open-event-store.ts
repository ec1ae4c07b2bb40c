import type { Database } from './database';
import { SCHEMA_NAME } from './database';
import { InvalidAppendError } from './errors';
import type { EventStore } from './event-store.port';
import { migrate, type MigrationReport } from './migrate';
import { openPglite } from './pglite.database';
import { openPostgres } from './postgres.database';
import { SqlEventStore } from './sql-event-store';

export interface EventStoreConfig {
  /** A PostgreSQL URL selects the server backend; without it, PGlite. */
  databaseUrl?: string;
  /** PGlite's folder; in memory when absent. Ignored with databaseUrl. */
  dataDir?: string;
  /** Schema for the store's tables (default `public`). */
  schema?: string;
  /** PostgreSQL connections in the pool (default 10). */
  poolSize?: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  now?: () => Date;
  /**
   * Wake feed watchers after each committed append (default true): the store
   * sends a NOTIFY of its own after the commit (SqlEventStoreOptions). False
   * for a writer whose feed nobody watches, or whose readers only poll.
   */
  notifyAppends?: boolean;
}

export interface OpenedEventStore {
  store: EventStore;
  migration: MigrationReport | null;
}

export async function openDatabase(config: EventStoreConfig): Promise<Database> {
  if (config.schema !== undefined && !SCHEMA_NAME.test(config.schema))
    throw new InvalidAppendError('schema', 'must be a lower-case PostgreSQL identifier (letters, digits, _)');
  if (config.poolSize !== undefined && (!Number.isInteger(config.poolSize) || config.poolSize < 1))
    throw new InvalidAppendError('poolSize', 'must be a positive integer');
  return config.databaseUrl
    ? openPostgres({ url: config.databaseUrl, ...(config.schema ? { schema: config.schema } : {}), ...(config.poolSize ? { poolSize: config.poolSize } : {}) })
    : openPglite({ ...(config.dataDir ? { dataDir: config.dataDir } : {}), ...(config.schema ? { schema: config.schema } : {}) });
}

/** Opens the configured backend and, unless told not to, brings its schema up to date. */
export async function openEventStore(config: EventStoreConfig = {}): Promise<OpenedEventStore> {
  const db = await openDatabase(config);
  try {
    const migration = config.migrate === false ? null : await migrate(db, config.schema);
    const options = {
      ...(config.now ? { now: config.now } : {}),
      ...(config.notifyAppends !== undefined ? { notifyAppends: config.notifyAppends } : {}),
    };
    return { store: new SqlEventStore(db, options), migration };
  } catch (error) {
    await db.close();
    throw error;
  }
}
