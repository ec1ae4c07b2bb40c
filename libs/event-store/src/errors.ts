/**
 * Every error the store raises on purpose has a stable `code` (never renamed:
 * clients match on it) and a `kind` that the HTTP layer maps to a status.
 */
export type ErrorKind = 'invalid' | 'conflict' | 'not_found' | 'unavailable';

export abstract class EventStoreError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input to the port; nothing was written. */
export class InvalidAppendError extends EventStoreError {
  readonly code = 'INVALID_STORE_INPUT';
  readonly kind = 'invalid';

  /** `path` locates the offending value, e.g. `streams[0].events[3].data.items[2]`. */
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** A stream was not at the expected version; nothing was written to any stream. */
export class WrongExpectedVersionError extends EventStoreError {
  readonly code = 'STREAM_VERSION_CONFLICT';
  readonly kind = 'conflict';

  constructor(
    readonly streamId: string,
    readonly expected: number | 'no_stream' | 'stream_exists',
    /** 0 when the stream does not exist. */
    readonly actual: number,
  ) {
    super(
      `stream ${streamId}: expected ${describeVersion(expected)}, but it is ${
        actual === 0 ? 'absent (no_stream)' : `at version ${actual}`
      }`,
    );
  }
}

/** An event id that the store already holds (outside an idempotent retry). */
export class DuplicateEventIdError extends EventStoreError {
  readonly code = 'DUPLICATE_EVENT_ID';
  readonly kind = 'conflict';

  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already in the store`);
  }
}

export class CheckpointMovedBackwardsError extends EventStoreError {
  readonly code = 'CHECKPOINT_MOVED_BACKWARDS';
  readonly kind = 'conflict';

  constructor(readonly checkpointName: string) {
    super(`checkpoint ${checkpointName} is already past the one being saved; delete it first to start over`);
  }
}

/** The data folder of the embedded store is held by another live process. */
export class DataDirLockedError extends EventStoreError {
  readonly code = 'DATA_DIR_LOCKED';
  readonly kind = 'unavailable';

  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data folder ${dataDir} is in use by process ${pid}; stop it or choose another LEDGER_DATA_DIR`);
  }
}

/** Why an applied migration no longer matches the list being applied. */
export type MigrationMismatchProblem = 'changed' | 'missing' | 'out_of_order';

/**
 * A migration already applied to this database differs from the one in this
 * build (or from the list a component gives; `component` is null for the
 * store's own migrations).
 */
export class MigrationMismatchError extends EventStoreError {
  readonly code = 'MIGRATION_MISMATCH';
  readonly kind = 'unavailable';

  constructor(
    readonly version: number,
    readonly migrationName: string,
    readonly component: string | null = null,
    /** changed: other SQL than applied; missing: applied but no longer listed; out_of_order: pending below an applied one. */
    readonly problem: MigrationMismatchProblem = 'changed',
  ) {
    const which = `${component === null ? '' : `component ${component}: `}migration ${version} (${migrationName})`;
    super(
      `${which} ${MISMATCH[problem]}; ` + 'migrations are append-only: add a new one (with a higher version) instead of editing, removing or inserting one',
    );
  }
}

const MISMATCH: Record<MigrationMismatchProblem, string> = {
  changed: 'was applied with different SQL than this build carries',
  missing: 'was applied but is missing from this build',
  out_of_order: 'is not applied yet but a higher version is',
};

/**
 * The database holds migrations newer than this build knows (for the store's
 * own tables, or for a component's): an older build must not write to it.
 */
export class SchemaTooNewError extends EventStoreError {
  readonly code = 'SCHEMA_TOO_NEW';
  readonly kind = 'unavailable';

  constructor(
    readonly databaseVersion: number,
    readonly buildVersion: number,
    readonly component: string | null = null,
  ) {
    super(
      component === null
        ? `the database schema is at version ${databaseVersion}, newer than this build's ${buildVersion}; upgrade the ledger`
        : `component ${component}: the database is at migration ${databaseVersion}, newer than this build's ${buildVersion}; upgrade the ledger`,
    );
  }
}

function describeVersion(v: number | 'no_stream' | 'stream_exists'): string {
  if (v === 'no_stream') return 'no stream (no_stream)';
  if (v === 'stream_exists') return 'an existing stream (stream_exists)';
  return `version ${v}`;
}
