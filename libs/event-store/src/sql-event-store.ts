import type { Database, ScriptExecutor } from './database';
import {
  CheckpointMovedBackwardsError,
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedVersionError,
} from './errors';
import type {
  AppendOptions,
  AppendResult,
  ComponentMigration,
  ComponentMigrationReport,
  EventMetadata,
  EventStore,
  EventStoreSession,
  ExpectedVersion,
  FeedCheckpoint,
  FeedRead,
  NewEvent,
  ReadFeedOptions,
  ReadStreamOptions,
  ReadStreamsOptions,
  RecordedEvent,
  StoreHealth,
  StoreLock,
  StreamAppend,
  StreamRead,
  VerifyFailure,
  VerifyOptions,
  VerifyReport,
} from './event-store.port';
import { FEED_START } from './event-store.port';
import { canonicalEventFrom, eventHash, GENESIS_HASH, nextHash } from './hash-chain';
import { canonicalJson, isJsonObject, type JsonObject } from './json';
import { migrateComponent as applyComponentMigrations } from './migrate';
import { uuidv7 } from './uuid';

export const LIMITS = Object.freeze({
  streamsPerAppend: 100_000,
  eventsPerAppend: 100_000,
  idLength: 200,
  actorLength: 500,
  feedBatch: 10_000,
});

/** Shortest time between two wake-ups of one store: a bound on their cost, and on the delay they add. */
const ANNOUNCE_INTERVAL_MS = 5;

const STREAM_ID = /^[\x21-\x7e]+$/; // printable ASCII, no spaces: safe in URLs, logs and file names
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESERVED_METADATA = ['commandId', 'correlationId', 'causationId', 'actor', 'onBehalfOf', 'recordedAt'] as const;

// Output names differ from the columns on purpose: ORDER BY tx_id would
// otherwise sort by the text alias (every row, every batch) instead of the index.
const EVENT_COLUMNS = `e.global_position, e.epoch, e.tx_id::text AS tx_text, e.stream_id, e.stream_position,
  e.event_id::text AS event_text, e.event_type, e.schema_version, e.data, e.metadata, encode(e.hash, 'hex') AS hash_hex`;

interface EventRow {
  global_position: string | number;
  epoch: number;
  tx_text: string;
  stream_id: string;
  stream_position: string | number;
  event_text: string;
  event_type: string;
  schema_version: number;
  data: JsonObject;
  metadata: EventMetadata;
  hash_hex: string;
}

export interface SqlEventStoreOptions {
  /** The store's clock, for metadata.recordedAt; tests pin it. */
  now?: () => Date;
  /**
   * Announce committed appends to feed watchers (default true): after an
   * append of the store itself, or a transaction(fn) that appended, commits,
   * the store sends `SELECT pg_notify('ledger_events_<schema>', '')` on its
   * pool, in a statement of its own, coalesced (at most one in flight) and
   * without the append waiting for it. False: this store wakes no one, and
   * watchers (of any process) only find its appends by polling.
   */
  notifyAppends?: boolean;
}

/** The encoded arguments of one ledger_append call. */
interface EncodedAppend {
  streams: string;
  events: string;
  metadata: string;
  newStreams: number;
  otherStreams: number;
  /** Stream ids and event counts in lock order, to complete the outcome. */
  counts: { streamId: string; count: number }[];
  commandId: string | null;
  result: string | null;
}

/** What ledger_append returns: versions of existing streams, or (stored for a command id) of all. */
interface AppendOutcome extends Omit<AppendResult, 'streams'> {
  existing?: Record<string, number>;
  streams?: AppendResult['streams'];
}

class SqlEventStoreSession implements EventStoreSession {
  /** True once an append of this session wrote events (not a duplicate, not an empty append). */
  wroteEvents = false;

  constructor(
    protected readonly executor: ScriptExecutor,
    protected readonly now: () => Date,
  ) {}

  /** After an append of this session that wrote events. */
  protected appended(): void {
    this.wroteEvents = true;
  }

  get sql(): ScriptExecutor {
    return this.executor;
  }

  async append(streams: readonly StreamAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const encoded = encodeAppend(streams, options, this.now().toISOString());
    let outcome: AppendOutcome;
    try {
      const [row] = await this.executor.query<{ outcome: AppendOutcome }>(
        'SELECT ledger_append($1::text, $2::text, $3::text, $4::integer, $5::integer, $6::text, $7::text::jsonb) AS outcome',
        [encoded.streams, encoded.events, encoded.metadata, encoded.newStreams, encoded.otherStreams, encoded.commandId, encoded.result],
      );
      outcome = row!.outcome;
    } catch (error) {
      throw translateError(error);
    }
    // A replayed command id wrote nothing now; an append of empty streams only checked versions.
    if (!outcome.duplicate && outcome.firstPosition !== null) this.appended();
    const { existing, streams: stored, ...rest } = outcome;
    return {
      ...rest,
      streams: stored ?? encoded.counts.map(({ streamId, count }) => ({ streamId, version: existing?.[streamId] ?? count })),
    };
  }

  appendToStream(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    return this.append([{ streamId, expectedVersion, events }], options);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StreamRead> {
    checkStreamId(streamId, 'streamId');
    const after = options.afterVersion ?? 0;
    checkCount(after, 'afterVersion', 0);
    if (options.toPosition !== undefined) checkCount(options.toPosition, 'toPosition', 0);
    if (options.limit !== undefined) checkCount(options.limit, 'limit', 1);
    const toTime = options.toRecordedAt === undefined ? null : toIsoInstant(options.toRecordedAt, 'toRecordedAt');
    const rows = await this.executor.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ledger_events e
       WHERE e.stream_id = $1 AND e.stream_position > $2
         AND ($3::bigint IS NULL OR e.global_position <= $3::bigint)
         AND ($4::timestamptz IS NULL OR e.recorded_at <= $4::timestamptz)
       ORDER BY e.stream_position
       LIMIT $5`,
      [streamId, after, options.toPosition ?? null, toTime, options.limit ?? null],
    );
    const events = rows.map(toRecordedEvent);
    return { streamId, version: events.length ? events[events.length - 1]!.streamPosition : after, events };
  }

  async readStreams(streamIds: readonly string[], options: ReadStreamsOptions = {}): Promise<StreamRead[]> {
    if (!Array.isArray(streamIds)) throw new InvalidAppendError('streamIds', 'must be an array of stream ids');
    if (streamIds.length > LIMITS.streamsPerAppend)
      throw new InvalidAppendError('streamIds', `at most ${LIMITS.streamsPerAppend} streams in one read, got ${streamIds.length}`);
    streamIds.forEach((id, i) => checkStreamId(id, `streamIds[${i}]`));
    if (typeof options !== 'object' || options === null) throw new InvalidAppendError('options', 'must be an object');
    if (options.toPosition !== undefined) checkCount(options.toPosition, 'toPosition', 0);
    const toTime = options.toRecordedAt === undefined ? null : toIsoInstant(options.toRecordedAt, 'toRecordedAt');
    if (streamIds.length === 0) return [];
    const unique = [...new Set(streamIds)];
    const rows = await this.executor.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ledger_events e
       WHERE e.stream_id = ANY ($1::text[])
         AND ($2::bigint IS NULL OR e.global_position <= $2::bigint)
         AND ($3::timestamptz IS NULL OR e.recorded_at <= $3::timestamptz)
       ORDER BY e.stream_id, e.stream_position`,
      [unique, options.toPosition ?? null, toTime],
    );
    const byStream = new Map<string, RecordedEvent[]>();
    for (const row of rows) {
      const event = toRecordedEvent(row);
      const events = byStream.get(event.streamId);
      if (events) events.push(event);
      else byStream.set(event.streamId, [event]);
    }
    return streamIds.map((streamId) => {
      // A copy per occurrence: a caller changing one read must not change another.
      const events = [...(byStream.get(streamId) ?? [])];
      return { streamId, version: events.length ? events[events.length - 1]!.streamPosition : 0, events };
    });
  }

  async readFeed(options: ReadFeedOptions = {}): Promise<FeedRead> {
    const after = options.after ?? FEED_START;
    checkCheckpoint(after, 'after');
    const limit = options.limit ?? 1_000;
    checkCount(limit, 'limit', 1, LIMITS.feedBatch);
    // Only rows of transactions older than every one still running: a lower
    // position that commits later must not be overtaken (and then skipped).
    const rows = await this.executor.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ledger_events e
       WHERE (e.epoch, e.tx_id, e.global_position) > ($1::integer, $2::xid8, $3::bigint)
         AND (e.epoch < (SELECT max(epoch) FROM ledger_epochs)
              OR e.tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())))
       ORDER BY e.epoch, e.tx_id, e.global_position
       LIMIT $4`,
      [after.epoch, String(after.txId), after.position, limit],
    );
    const events = rows.map(toRecordedEvent);
    const last = events[events.length - 1];
    return {
      events,
      checkpoint: last ? { epoch: last.epoch, txId: last.txId, position: last.globalPosition } : after,
    };
  }

  async findCommand(commandId: string): Promise<AppendResult | null> {
    checkText(commandId, 'commandId', LIMITS.idLength);
    const [row] = await this.executor.query<{ result: AppendResult | null }>(
      'SELECT result FROM ledger_commands WHERE command_id = $1',
      [commandId],
    );
    return row?.result ? { ...row.result, duplicate: true } : null;
  }

  async readCheckpoint(name: string): Promise<FeedCheckpoint | null> {
    checkText(name, 'name', LIMITS.idLength);
    const [row] = await this.executor.query<{ epoch: number; tx_id: string; position: string | number }>(
      'SELECT epoch, tx_id::text AS tx_id, position FROM ledger_checkpoints WHERE name = $1',
      [name],
    );
    return row ? { epoch: row.epoch, txId: Number(row.tx_id), position: Number(row.position) } : null;
  }

  async saveCheckpoint(name: string, checkpoint: FeedCheckpoint): Promise<void> {
    checkText(name, 'name', LIMITS.idLength);
    checkCheckpoint(checkpoint, 'checkpoint');
    const rows = await this.executor.query(
      `INSERT INTO ledger_checkpoints AS c (name, epoch, tx_id, position) VALUES ($1, $2, $3::xid8, $4)
       ON CONFLICT (name) DO UPDATE
         SET epoch = EXCLUDED.epoch, tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, updated_at = now()
         WHERE (c.epoch, c.tx_id, c.position) <= (EXCLUDED.epoch, EXCLUDED.tx_id, EXCLUDED.position)
       RETURNING 1`,
      [name, checkpoint.epoch, String(checkpoint.txId), checkpoint.position],
    );
    if (rows.length === 0) throw new CheckpointMovedBackwardsError(name);
  }

  async deleteCheckpoint(name: string): Promise<void> {
    checkText(name, 'name', LIMITS.idLength);
    await this.executor.query('DELETE FROM ledger_checkpoints WHERE name = $1', [name]);
  }
}

export class SqlEventStore extends SqlEventStoreSession implements EventStore {
  private whereabouts: Promise<{ schema: string; channel: string }> | null = null;
  private readonly notifyAppends: boolean;
  /** The announcements being sent (one at a time), or null when none is. */
  private announcing: Promise<void> | null = null;
  /** An append committed while an announcement was in flight: one more after it. */
  private announceAgain = false;
  private closed = false;

  constructor(
    private readonly db: Database,
    options: SqlEventStoreOptions = {},
  ) {
    super(db, options.now ?? (() => new Date()));
    if (options.notifyAppends !== undefined && typeof options.notifyAppends !== 'boolean')
      throw new InvalidAppendError('notifyAppends', 'must be a boolean');
    this.notifyAppends = options.notifyAppends ?? true;
  }

  /** The store's own append ran in a transaction of its own, which has committed. */
  protected override appended(): void {
    this.announce();
  }

  /**
   * Wakes the feed's watchers, after the commit and outside the append's
   * transaction: a transaction that notifies holds a database-wide lock from
   * before its commit until the commit is flushed, so appends notifying
   * themselves would commit one at a time instead of sharing WAL flushes.
   * Here that lock is taken by a statement of its own, at most one per store
   * at a time; appends committing meanwhile are announced once, after it.
   * Nobody waits for it, and a failure is dropped: a wake-up is a hint, and
   * readers poll as well.
   */
  private lastAnnounced = -Infinity;

  private announce(): void {
    if (!this.notifyAppends || this.closed) return;
    if (this.announcing) {
      this.announceAgain = true;
      return;
    }
    this.announcing = this.sendAnnouncements();
  }

  private async sendAnnouncements(): Promise<void> {
    try {
      do {
        // At most one wake-up per interval: under load the loop would otherwise
        // notify back to back, each one a commit of its own.
        const wait = this.lastAnnounced + ANNOUNCE_INTERVAL_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.lastAnnounced = performance.now();
        this.announceAgain = false;
        try {
          const { channel } = await this.physicalSchema();
          // Its own implicit transaction: a lost wake-up on a crash costs nothing
          // (readers poll), so its commit need not wait for the WAL flush.
          await this.db.query(`SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')`, [channel]);
        } catch {
          // Only a hint: watchers poll too.
        }
      } while (this.announceAgain);
    } finally {
      this.announcing = null;
    }
  }

  get backend() {
    return this.db.backend;
  }

  async transaction<T>(fn: (session: EventStoreSession) => Promise<T>): Promise<T> {
    let session: SqlEventStoreSession | undefined;
    const result = await this.db.transaction((tx) => fn((session = new SqlEventStoreSession(tx, this.now))));
    // Committed (a rollback rejects above): announce what it appended, if anything.
    if (session?.wroteEvents) this.announce();
    return result;
  }

  migrateComponent(component: string, migrations: readonly ComponentMigration[]): Promise<ComponentMigrationReport> {
    return applyComponentMigrations(this.db, component, migrations);
  }

  async watchFeed(onAppend: () => void): Promise<() => Promise<void>> {
    if (typeof onAppend !== 'function') throw new InvalidAppendError('onAppend', 'must be a function');
    const { channel } = await this.physicalSchema();
    return this.db.listen(channel, onAppend);
  }

  async headPosition(): Promise<number> {
    // The identity's sequence, not max(global_position): no scan, no index, and it counts uncommitted draws too.
    const [row] = await this.db.query<{ head: string | number | null }>(
      `SELECT pg_sequence_last_value(pg_get_serial_sequence('ledger_events', 'global_position')::regclass) AS head`,
    );
    return Number(row?.head ?? 0);
  }

  async tryLock(name: string): Promise<StoreLock | null> {
    checkText(name, 'name', LIMITS.idLength);
    const { schema } = await this.physicalSchema();
    return this.db.tryLock(`licensing-ledger:lock:${schema}`, name);
  }

  /**
   * Where ledger_events is, as the store's statements find it through the
   * search_path, whatever was configured; and the channel of its feed
   * wake-ups: 'ledger_events_' || schema, or, for a schema name longer than
   * 49 bytes, 'ledger_events_' || md5(schema), as a channel name is an
   * identifier of at most 63 bytes (pg_notify refuses a longer one). Writers
   * and watchers of every process compute the same name.
   */
  private physicalSchema(): Promise<{ schema: string; channel: string }> {
    this.whereabouts ??= this.db
      .query<{ schema: string; channel: string }>(
        `SELECT n.nspname AS schema,
                CASE WHEN octet_length(n.nspname) <= 49 THEN 'ledger_events_' || n.nspname
                     ELSE 'ledger_events_' || md5(n.nspname) END AS channel
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = to_regclass('ledger_events')`,
      )
      .then(([row]) => {
        if (!row) throw new Error('no ledger_events table on the search_path: migrate the store first');
        return row;
      })
      .catch((error: unknown) => {
        this.whereabouts = null; // not cached: the next call may find the table migrated
        throw error;
      });
    return this.whereabouts;
  }

  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    if (options.streamId !== undefined) checkStreamId(options.streamId, 'streamId');
    const maxFailures = options.maxFailures ?? 100;
    checkCount(maxFailures, 'maxFailures', 1);
    return verifyChains(this.db, options.streamId ?? null, maxFailures, options.onProgress);
  }

  async health(): Promise<StoreHealth> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.db.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2_000);
        }),
      ]);
      return { ok: true, backend: this.backend, latencyMs: round(performance.now() - started) };
    } catch (error) {
      return { ok: false, backend: this.backend, latencyMs: round(performance.now() - started), error: String((error as Error).message) };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true; // announces nothing more
    // An announcement in flight goes out first: nothing may reach the pool once it is closed.
    await this.announcing;
    await this.db.close();
  }
}

/* ---------- encoding and validation: before any SQL, so bad input writes nothing ---------- */

function encodeAppend(streams: readonly StreamAppend[], options: AppendOptions, recordedAt: string): EncodedAppend {
  if (!Array.isArray(streams) || streams.length === 0) throw new InvalidAppendError('streams', 'give at least one stream');
  if (streams.length > LIMITS.streamsPerAppend)
    throw new InvalidAppendError('streams', `at most ${LIMITS.streamsPerAppend} streams in one append, got ${streams.length}`);
  const standard = standardMetadata(options, recordedAt);
  const standardJson = canonicalJson(standard, 'options');

  // Sorted (by UTF-16 code units, which for printable ASCII is byte order) so
  // that every append locks streams in the same order: no deadlocks.
  const order = streams.map((s, index) => ({ s, index }));
  for (const { s, index } of order) {
    if (typeof s !== 'object' || s === null) throw new InvalidAppendError(`streams[${index}]`, 'must be an object');
    checkStreamId(s.streamId, `streams[${index}].streamId`);
  }
  order.sort((a, b) => (a.s.streamId < b.s.streamId ? -1 : a.s.streamId > b.s.streamId ? 1 : 0));

  const header: string[] = [];
  const lines: string[] = [];
  const counts: { streamId: string; count: number }[] = [];
  let newStreams = 0;
  for (let k = 0; k < order.length; k++) {
    const { s, index } = order[k]!;
    const at = `streams[${index}]`;
    if (k > 0 && order[k - 1]!.s.streamId === s.streamId)
      throw new InvalidAppendError(`${at}.streamId`, `stream ${s.streamId} appears twice; put all its events in one entry`);
    const type = s.streamType ?? s.streamId.split('-', 1)[0]!;
    checkStreamId(type, `${at}.streamType`);
    if (!Array.isArray(s.events)) throw new InvalidAppendError(`${at}.events`, 'must be an array');
    if (lines.length + s.events.length > LIMITS.eventsPerAppend)
      throw new InvalidAppendError('streams', `at most ${LIMITS.eventsPerAppend} events in one append`);
    const expected = encodeExpected(s.expectedVersion, `${at}.expectedVersion`);
    const first = lines.length;
    // A new stream's chain starts at the genesis hash, which we know: hash it here.
    // Any other stream's head is only known under its row lock, in the database.
    const isNew = expected === 'no_stream' && s.events.length > 0;
    let previous = GENESIS_HASH;
    for (let i = 0; i < s.events.length; i++) {
      const e = encodeEvent(s.events[i]!, standard, `${at}.events[${i}]`);
      let hash = '';
      if (isNew) {
        const canonical = canonicalEventFrom(e.dataJson, e.eventId, e.metadataJson ?? standardJson, e.schemaVersion, s.streamId, e.type, i + 1);
        previous = nextHash(previous, canonical);
        hash = previous.toString('hex');
      }
      lines.push(`${s.streamId}\t${i + 1}\t${e.eventId}\t${e.type}\t${e.schemaVersion}\t${e.metadataJson ?? ''}\t${hash}\t${e.dataJson}`);
    }
    if (isNew) newStreams++;
    header.push(`${s.streamId}\t${type}\t${expected}\t${s.events.length}\t${first}\t${isNew ? previous.toString('hex') : ''}`);
    counts.push({ streamId: s.streamId, count: s.events.length });
  }
  return {
    streams: header.join('\n'),
    events: lines.join('\n'),
    metadata: standardJson,
    newStreams,
    otherStreams: order.length - newStreams,
    counts,
    commandId: standard.commandId,
    result: options.result === undefined ? null : canonicalJson(options.result, 'options.result'),
  };
}

function standardMetadata(options: AppendOptions, recordedAt: string): EventMetadata {
  if (typeof options !== 'object' || options === null) throw new InvalidAppendError('options', 'must be an object');
  const optional = (key: 'commandId' | 'correlationId' | 'causationId' | 'actor' | 'onBehalfOf', max: number) => {
    const value = options[key];
    if (value === undefined || value === null) return null;
    checkText(value, `options.${key}`, max);
    return value;
  };
  return {
    commandId: optional('commandId', LIMITS.idLength),
    correlationId: optional('correlationId', LIMITS.idLength),
    causationId: optional('causationId', LIMITS.idLength),
    actor: optional('actor', LIMITS.actorLength),
    // Absent rather than null: events of every earlier version keep exactly the metadata (and hashes) they had.
    ...(options.onBehalfOf !== undefined && options.onBehalfOf !== null ? { onBehalfOf: optional('onBehalfOf', LIMITS.idLength) as string } : {}),
    recordedAt,
  };
}

interface EncodedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  /** Canonical metadata when the event adds keys of its own; undefined for the append's standard metadata. */
  metadataJson: string | undefined;
  dataJson: string;
}

function encodeEvent(event: NewEvent, standard: EventMetadata, at: string): EncodedEvent {
  if (typeof event !== 'object' || event === null) throw new InvalidAppendError(at, 'must be an object');
  if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type))
    throw new InvalidAppendError(`${at}.type`, 'must be a name of letters, digits and _ . : - (starting with a letter, at most 100)');
  if (!isJsonObject(event.data)) throw new InvalidAppendError(`${at}.data`, 'must be a plain JSON object');
  const schemaVersion = event.schemaVersion ?? 1;
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > 2_147_483_647)
    throw new InvalidAppendError(`${at}.schemaVersion`, 'must be a positive integer');
  let eventId: string;
  if (event.eventId === undefined) eventId = uuidv7();
  else if (typeof event.eventId === 'string' && UUID.test(event.eventId)) eventId = event.eventId.toLowerCase();
  else throw new InvalidAppendError(`${at}.eventId`, 'must be a UUID');
  let metadataJson: string | undefined;
  if (event.metadata !== undefined) {
    if (!isJsonObject(event.metadata)) throw new InvalidAppendError(`${at}.metadata`, 'must be a plain JSON object');
    for (const key of RESERVED_METADATA)
      if (key in event.metadata) throw new InvalidAppendError(`${at}.metadata.${key}`, 'is reserved: pass it in the append options');
    metadataJson = canonicalJson({ ...event.metadata, ...standard }, `${at}.metadata`);
  }
  return { eventId, type: event.type, schemaVersion, metadataJson, dataJson: canonicalJson(event.data, `${at}.data`) };
}

function encodeExpected(expected: ExpectedVersion, at: string): string {
  if (expected === 'no_stream' || expected === 'stream_exists' || expected === 'any') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0)
    return expected === 0 ? 'no_stream' : String(expected);
  throw new InvalidAppendError(at, `must be a version (0 or more), 'no_stream', 'stream_exists' or 'any', got ${JSON.stringify(expected)}`);
}

function checkStreamId(value: unknown, at: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidAppendError(at, 'must be a non-empty string');
  if (value.length > LIMITS.idLength) throw new InvalidAppendError(at, `must be at most ${LIMITS.idLength} characters`);
  if (!STREAM_ID.test(value)) throw new InvalidAppendError(at, 'may hold printable ASCII only, without spaces');
}

function checkText(value: unknown, at: string, max: number): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidAppendError(at, 'must be a non-empty string');
  if (value.length > max) throw new InvalidAppendError(at, `must be at most ${max} characters`);
  canonicalJson(value, at);
}

function checkCount(value: unknown, at: string, min: number, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw new InvalidAppendError(at, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
}

function checkCheckpoint(value: FeedCheckpoint, at: string): void {
  if (typeof value !== 'object' || value === null) throw new InvalidAppendError(at, 'must be {epoch, txId, position}');
  checkCount(value.epoch, `${at}.epoch`, 0, 2_147_483_647);
  checkCount(value.txId, `${at}.txId`, 0);
  checkCount(value.position, `${at}.position`, 0);
}

function toIsoInstant(value: Date | string, at: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidAppendError(at, 'must be a valid instant (ISO-8601)');
  return date.toISOString();
}

/* ---------- reading ---------- */

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    globalPosition: Number(row.global_position),
    epoch: row.epoch,
    txId: Number(row.tx_text),
    streamId: row.stream_id,
    streamPosition: Number(row.stream_position),
    eventId: row.event_text,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    hash: row.hash_hex,
  };
}

interface DatabaseError {
  code?: string;
  detail?: string;
  message?: string;
  constraint_name?: string;
  constraint?: string;
}

function translateError(error: unknown): unknown {
  const e = error as DatabaseError;
  if (e?.code === 'LV409' && e.detail) {
    const d = JSON.parse(e.detail) as { streamId: string; expected: string; actual: number };
    const expected = d.expected === 'no_stream' || d.expected === 'stream_exists' ? d.expected : Number(d.expected);
    return new WrongExpectedVersionError(d.streamId, expected, Number(d.actual));
  }
  if (e?.code === '23505' && (e.constraint_name ?? e.constraint ?? e.message ?? '').includes('ledger_events_event_id_key')) {
    const id = /\(event_id\)=\(([^)]+)\)/.exec(e.detail ?? '')?.[1] ?? 'unknown';
    return new DuplicateEventIdError(id);
  }
  return error;
}

/* ---------- verification ---------- */

interface VerifyRow {
  stream_id: string;
  stream_position: string | number;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: JsonObject;
  metadata: JsonObject;
  hash: string;
  stream_version: string | number | null;
  head_hash: string | null;
}

const VERIFY_BATCH = 5_000;

async function verifyChains(
  db: ScriptExecutor,
  streamId: string | null,
  maxFailures: number,
  onProgress?: (eventsChecked: number) => void,
): Promise<VerifyReport> {
  const failures: VerifyFailure[] = [];
  const fail = (f: VerifyFailure) => {
    if (failures.length < maxFailures) failures.push(f);
  };
  let streamsChecked = 0;
  let eventsChecked = 0;
  let current: { id: string; position: number; hash: string; version: number | null; head: string | null } | null = null;

  const closeStream = () => {
    if (!current) return;
    streamsChecked++;
    if (current.version === null) fail({ streamId: current.id, streamPosition: current.position, reason: 'stream_row_missing' });
    else if (current.version !== current.position)
      fail({ streamId: current.id, streamPosition: current.version, reason: 'version_mismatch', expected: String(current.position), actual: String(current.version) });
    else if (current.head !== current.hash)
      fail({ streamId: current.id, streamPosition: current.position, reason: 'head_mismatch', expected: current.hash, actual: current.head ?? '' });
  };

  let cursor: [string, number] = ['', 0];
  for (;;) {
    const rows = await db.query<VerifyRow>(
      `SELECT e.stream_id, e.stream_position, e.event_id::text AS event_id, e.event_type, e.schema_version, e.data,
              e.metadata, encode(e.hash, 'hex') AS hash, s.version AS stream_version, encode(s.head_hash, 'hex') AS head_hash
       FROM ledger_events e LEFT JOIN ledger_streams s ON s.stream_id = e.stream_id
       WHERE (e.stream_id, e.stream_position) > ($1, $2::bigint) AND ($3::text IS NULL OR e.stream_id = $3::text)
       ORDER BY e.stream_id, e.stream_position
       LIMIT ${VERIFY_BATCH}`,
      [cursor[0], cursor[1], streamId],
    );
    for (const row of rows) {
      const position = Number(row.stream_position);
      if (!current || current.id !== row.stream_id) {
        closeStream();
        const version = row.stream_version === null ? null : Number(row.stream_version);
        current = { id: row.stream_id, position: 0, hash: '', version, head: row.head_hash };
      }
      if (position !== current.position + 1)
        fail({ streamId: row.stream_id, streamPosition: position, reason: 'position_gap', expected: String(current.position + 1), actual: String(position) });
      // Chained from the stored previous hash: an edit flags the edited event itself, not all that follow.
      const expected = eventHash(current.hash, {
        data: row.data,
        eventId: row.event_id,
        metadata: row.metadata,
        schemaVersion: row.schema_version,
        streamId: row.stream_id,
        type: row.event_type,
        version: position,
      });
      if (expected !== row.hash)
        fail({ streamId: row.stream_id, streamPosition: position, reason: 'hash_mismatch', expected, actual: row.hash });
      current.position = position;
      current.hash = row.hash;
      eventsChecked++;
    }
    onProgress?.(eventsChecked);
    if (rows.length < VERIFY_BATCH) break;
    const last = rows[rows.length - 1]!;
    cursor = [last.stream_id, Number(last.stream_position)];
  }
  closeStream();

  const empty = await db.query<{ stream_id: string; version: string | number }>(
    `SELECT s.stream_id, s.version FROM ledger_streams s
     WHERE ($1::text IS NULL OR s.stream_id = $1::text)
       AND NOT EXISTS (SELECT 1 FROM ledger_events e WHERE e.stream_id = s.stream_id)`,
    [streamId],
  );
  for (const row of empty) fail({ streamId: row.stream_id, streamPosition: Number(row.version), reason: 'stream_without_events' });
  streamsChecked += empty.length;

  failures.sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.streamPosition - b.streamPosition));
  return { ok: failures.length === 0, streamsChecked, eventsChecked, failures };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
