import type { SqlExecutor, StoreBackend } from './event-store.port';

/** A SQL executor that can also run a multi-statement script (migrations). */
export interface ScriptExecutor extends SqlExecutor {
  exec(script: string): Promise<void>;
}

/**
 * The one seam between the store and its two backends, which run the same SQL:
 * PostgreSQL through postgres.js, or PGlite in-process.
 */
export interface Database extends ScriptExecutor {
  readonly backend: StoreBackend;
  transaction<T>(fn: (tx: ScriptExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL identifiers we accept for a schema name: no quoting needed, ever. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
