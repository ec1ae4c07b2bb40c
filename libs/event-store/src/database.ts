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
  /**
   * LISTENs on `channel` (an identifier as PostgreSQL stores it: no case
   * folding, no truncation) and calls fn for every notification, outside the
   * driver's stack. fn is also called whenever the listening connection
   * listens again after it was lost. Resolves once listening; returns the
   * function that stops it (idempotent, and harmless after close).
   */
  listen(channel: string, fn: () => void): Promise<() => Promise<void>>;
  /**
   * Takes the session-level lock (scope, name) without waiting, or returns
   * null when it is held, also when held by this same Database.
   */
  tryLock(scope: string, name: string): Promise<DatabaseLock | null>;
  /** Releases the locks still held, then closes the connections. */
  close(): Promise<void>;
}

export interface DatabaseLock {
  /** Idempotent; when it resolves the lock is free for others. */
  release(): Promise<void>;
}

/** PostgreSQL identifiers we accept for a schema name: no quoting needed, ever. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
