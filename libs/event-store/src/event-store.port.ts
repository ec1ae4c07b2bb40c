import type { JsonObject, JsonValue } from './json';

/**
 * What the writer believes about a stream before appending.
 * - a number N >= 1: the stream exists and its last event is at position N;
 *   0 is the same as `no_stream`;
 * - `no_stream`: the stream has no events yet;
 * - `stream_exists`: the stream has at least one event, whatever its version;
 * - `any`: no check.
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

export interface NewEvent {
  /** UUID; generated when absent. Unique across the whole store. */
  eventId?: string;
  /** Past-tense name, e.g. `KeyClaimed`. Never renamed once written. */
  type: string;
  /** The facts, as a plain JSON object. */
  data: JsonObject;
  /** Version of the data's shape, for upcasters. Defaults to 1. */
  schemaVersion?: number;
  /** Extra metadata; the standard keys below are reserved for AppendOptions. */
  metadata?: JsonObject;
}

export interface StreamAppend {
  streamId: string;
  /** Defaults to the part of the stream id before its first `-`. */
  streamType?: string;
  expectedVersion: ExpectedVersion;
  /** May be empty: the stream's version is then only checked (and share-locked). */
  events: readonly NewEvent[];
}

export interface AppendOptions {
  /** The command's idempotency key: a second append with it writes nothing. */
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  /** Who did it, as the application names principals. */
  actor?: string;
  /** On whose behalf, when the actor acts for someone else; metadata carries it only when given. */
  onBehalfOf?: string;
  /** Stored with the command id and handed back to a retry. */
  result?: JsonValue;
}

/** Keys every event's metadata carries; null where the append gave none. */
export interface EventMetadata extends JsonObject {
  commandId: string | null;
  correlationId: string | null;
  causationId: string | null;
  actor: string | null;
  // onBehalfOf (a string) is present only on events recorded for someone other than the actor (AppendOptions.onBehalfOf).
  /** ISO-8601 UTC with milliseconds, taken from the store's clock. */
  recordedAt: string;
}

export interface AppendResult {
  /** True when the command id had been appended before: nothing was written now. */
  duplicate: boolean;
  commandId: string | null;
  /** The version of every stream after the append. */
  streams: { streamId: string; version: number }[];
  /** Global positions of the first and last event written (null if none). */
  firstPosition: number | null;
  lastPosition: number | null;
  /** AppendOptions.result of the first append with this command id. */
  result: JsonValue | null;
}

export interface RecordedEvent<Data extends JsonObject = JsonObject> {
  globalPosition: number;
  epoch: number;
  /** PostgreSQL transaction id (xid8) that wrote the event. */
  txId: number;
  streamId: string;
  streamPosition: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  /** SHA-256 hash-chain link, lowercase hex. */
  hash: string;
}

export interface ReadStreamOptions {
  /** Only events after this version (exclusive). */
  afterVersion?: number;
  /** Only events at or before this global position. */
  toPosition?: number;
  /** Only events recorded at or before this instant. */
  toRecordedAt?: Date | string;
  /** At most this many events. */
  limit?: number;
}

/** Options of readStreams: each stream as of a past moment, like readStream's. */
export interface ReadStreamsOptions {
  /** Only events at or before this global position. */
  toPosition?: number;
  /** Only events recorded at or before this instant. */
  toRecordedAt?: Date | string;
}

export interface StreamRead {
  streamId: string;
  /** Position of the last event read (0 when none): the version to expect when appending after this read. */
  version: number;
  events: RecordedEvent[];
}

/**
 * A place in the global feed. Ordered by (epoch, txId, position): never by
 * position alone, which skips events whose transactions commit out of order.
 */
export interface FeedCheckpoint {
  epoch: number;
  txId: number;
  position: number;
}

export const FEED_START: FeedCheckpoint = Object.freeze({ epoch: 0, txId: 0, position: 0 });

export interface ReadFeedOptions {
  after?: FeedCheckpoint;
  /** Batch size, 1 to 10,000; defaults to 1,000. */
  limit?: number;
}

export interface FeedRead {
  events: RecordedEvent[];
  /** Checkpoint of the last event returned, or `after` when none. */
  checkpoint: FeedCheckpoint;
}

export type VerifyFailureReason =
  | 'hash_mismatch'
  | 'position_gap'
  | 'head_mismatch'
  | 'version_mismatch'
  | 'stream_row_missing'
  | 'stream_without_events';

export interface VerifyFailure {
  streamId: string;
  /** Position of the first event that no longer matches (or the stream's version for stream-level failures). */
  streamPosition: number;
  reason: VerifyFailureReason;
  expected?: string;
  actual?: string;
}

export interface VerifyOptions {
  /** Verify this stream only. */
  streamId?: string;
  /** Stop after this many failures; defaults to 100. */
  maxFailures?: number;
  onProgress?: (eventsChecked: number) => void;
}

export interface VerifyReport {
  ok: boolean;
  streamsChecked: number;
  eventsChecked: number;
  /** Ordered by stream id, then position; the first one is the first that no longer matches. */
  failures: VerifyFailure[];
}

export interface StoreHealth {
  ok: boolean;
  backend: StoreBackend;
  latencyMs: number;
  error?: string;
}

export type StoreBackend = 'postgres' | 'pglite';

/** Raw SQL within the store's connection or transaction, for read models and checkpoints. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** Operations available both on the store and inside one of its transactions. */
export interface EventStoreSession {
  readonly sql: SqlExecutor;
  append(streams: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult>;
  appendToStream(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead>;
  /**
   * Several streams in one query: one StreamRead per id given, in the order
   * given (an unknown stream: version 0, no events), each as readStream would
   * return it with the same options. An id may be given more than once (each
   * occurrence gets its own StreamRead); at most 100,000 ids; none: [].
   */
  readStreams(streamIds: readonly string[], options?: ReadStreamsOptions): Promise<StreamRead[]>;
  readFeed(options?: ReadFeedOptions): Promise<FeedRead>;
  /** The stored outcome of an earlier append with this command id, or null. */
  findCommand(commandId: string): Promise<AppendResult | null>;
  readCheckpoint(name: string): Promise<FeedCheckpoint | null>;
  /** Refuses to move a checkpoint backwards; use deleteCheckpoint to start over. */
  saveCheckpoint(name: string, checkpoint: FeedCheckpoint): Promise<void>;
  deleteCheckpoint(name: string): Promise<void>;
}

/**
 * One step of a component's own tables (a read model, an index), kept beside
 * the store's. Append-only like the store's migrations: once applied, never
 * edited (its checksum is checked); a change is a new version.
 */
export interface ComponentMigration {
  /** Positive integer; strictly increasing through the list. */
  version: number;
  name: string;
  /** One or several SQL statements, unqualified: they run in the store's schema. */
  sql: string;
}

export interface ComponentMigrationReport {
  component: string;
  /** Versions applied by this call, in order (empty when the tables were up to date). */
  applied: number[];
  /** The component's version now: the last one in the list given (0 for an empty list). */
  version: number;
}

/**
 * A named lock of the store (see EventStore.tryLock): held until released, or
 * until its holder's process or connection dies.
 */
export interface StoreLock {
  /** Frees the lock; when it resolves another holder can take it. Calling it again does nothing. */
  release(): Promise<void>;
}

export interface EventStore extends EventStoreSession {
  readonly backend: StoreBackend;
  /** Runs fn in one database transaction: everything it does commits or rolls back together. */
  transaction<T>(fn: (session: EventStoreSession) => Promise<T>): Promise<T>;
  /**
   * Brings a component's own tables up to date: applies, in the store's schema
   * and in one transaction under an advisory lock of that schema and component,
   * the migrations not applied yet. Concurrent callers apply each one once.
   * Fails with MigrationMismatchError when an applied migration was changed,
   * removed or is followed by a new lower one, and with SchemaTooNewError when
   * the database holds a version beyond the list. `component` is a name
   * matching `^[a-z][a-z0-9_-]{0,62}$`.
   */
  migrateComponent(component: string, migrations: readonly ComponentMigration[]): Promise<ComponentMigrationReport>;
  /**
   * Calls onAppend (soon, never inside the caller's stack) after committed
   * appends to this store's schema by any store object (of any process) that
   * announces them (notifyAppends, on by default): a hint to read the feed,
   * carrying nothing. The writer announces after its commit and coalesces:
   * several appends, of one transaction or of many committing close together,
   * may wake it once; a rolled-back append, a replayed command id and an
   * append of no events wake no one. It is also called after the listening
   * connection came back from a loss (appends meanwhile would otherwise go
   * unannounced). Not a replacement for polling: an announcement may be lost
   * (it is sent apart from the append, and a failure to send is ignored), and
   * the feed may hold an event back for an older transaction that appends
   * nothing and so wakes no one when it ends. onAppend must not throw.
   * Resolves once listening; returns the function that stops it.
   */
  watchFeed(onAppend: () => void): Promise<() => Promise<void>>;
  /**
   * The highest global position drawn so far (0 when nothing was ever
   * appended), read from the position sequence, not from ledger_events. It may
   * belong to an append that rolled back or has not committed yet: an upper
   * bound of the feed, for lag metrics, never a checkpoint.
   */
  headPosition(): Promise<number>;
  /**
   * Takes the lock `name` of this store's schema without waiting, or returns
   * null when someone else (another process, or another tryLock in this one)
   * holds it: "one active instance" of a projector. Held until release() or
   * until the holder dies (PostgreSQL: a session advisory lock on a connection
   * of its own; PGlite: a lock of this process, which owns the database).
   * `name` is a non-empty string of at most 200 characters.
   */
  tryLock(name: string): Promise<StoreLock | null>;
  verify(options?: VerifyOptions): Promise<VerifyReport>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
