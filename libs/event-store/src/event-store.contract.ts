/**
 * The behaviour every EventStore backend must show, as one suite that each
 * backend's *.int-spec.ts runs against a real database (no mocks).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from './database';
import {
  CheckpointMovedBackwardsError,
  DuplicateEventIdError,
  InvalidAppendError,
  MigrationMismatchError,
  SchemaTooNewError,
  WrongExpectedVersionError,
} from './errors';
import type { ComponentMigration, EventStore, FeedCheckpoint, NewEvent, RecordedEvent } from './event-store.port';
import { FEED_START } from './event-store.port';
import { migrate } from './migrate';
import { MIGRATIONS } from './migrations';
import { SqlEventStore } from './sql-event-store';

export interface ContractStore {
  store: EventStore;
  /** A second connection to the same database and schema (its own pool), for racing migrations. */
  openDatabase(): Promise<Database>;
  schema: string;
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /** A fresh, empty store of its own; `now` pins the store's clock. */
  open(options?: { now?: () => Date }): Promise<ContractStore>;
  /** Several connections, so that transactions can interleave (PostgreSQL). */
  concurrentConnections: boolean;
}

const issued = (n: number): NewEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'LicenseIssued', data: { licenseId: randomUUID(), n: i + 1 } }));

const streamOf = (kind = 'license') => `${kind}-${randomUUID()}`;

/**
 * Reads the feed like a consumer: again and again until `count` events have
 * come. The feed holds back events while an older transaction anywhere in the
 * database is still open (other suites run beside this one), so a single read
 * may end early without anything being lost.
 */
async function readFeedUntil(store: EventStore, count: number, after: FeedCheckpoint = FEED_START, limit = 1_000) {
  const events: RecordedEvent[] = [];
  const pages: number[] = [];
  let checkpoint = after;
  const deadline = Date.now() + 15_000;
  while (events.length < count) {
    const page = await store.readFeed({ after: checkpoint, limit });
    if (page.events.length > 0) pages.push(page.events.length);
    events.push(...page.events);
    checkpoint = page.checkpoint;
    if (page.events.length === 0) {
      if (Date.now() > deadline) throw new Error(`only ${events.length} of ${count} events arrived within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return { events, checkpoint, pages };
}

/** Exact, unlike the feed: every test of a file runs alone in that file's store. */
async function eventCount(store: EventStore): Promise<number> {
  const [row] = await store.sql.query<{ n: string | number }>('SELECT count(*) AS n FROM ledger_events');
  return Number(row!.n);
}

/** A store of the test's own, disposed of whatever the test does. */
async function withOwnStore(options: ContractOptions, fn: (own: ContractStore) => Promise<void>, open?: { now?: () => Date }): Promise<void> {
  const own = await options.open(open);
  try {
    await fn(own);
  } finally {
    await own.dispose();
  }
}

/** Another connection to the same store, as a second process would have. */
async function withConnection(own: ContractStore, fn: (db: Database) => Promise<void>): Promise<void> {
  const db = await own.openDatabase();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Edits stored history the way only a superuser can: with the guard trigger
 * switched off for one transaction. What verify and the epoch check are for.
 */
function asSuperuser(store: EventStore, fn: (sql: EventStore['sql']) => Promise<void>): Promise<void> {
  return store.transaction(async (tx) => {
    await tx.sql.query('SET LOCAL session_replication_role = replica');
    await fn(tx.sql);
  });
}

/** A component name of the test's own, and a table name to go with it. */
function freshComponent(): { component: string; table: string } {
  const id = randomUUID().replace(/-/g, '').slice(0, 20);
  return { component: `rm-${id}`, table: `rm_${id}` };
}

/** Two steps of a component's tables; version 1 is two statements in one script. */
function componentMigrations(table: string): ComponentMigration[] {
  return [
    {
      version: 1,
      name: 'licenses table',
      sql: `CREATE TABLE ${table} (id text PRIMARY KEY);
            CREATE INDEX ${table}_by_id ON ${table} (id)`,
    },
    { version: 2, name: 'seats column', sql: `ALTER TABLE ${table} ADD COLUMN seats integer NOT NULL DEFAULT 0` },
  ];
}

/** The versions recorded for a component ([] also when no component was ever migrated here). */
async function componentVersions(store: EventStore, component: string): Promise<number[]> {
  const [bookkeeping] = await store.sql.query<{ present: boolean }>(
    `SELECT to_regclass('ledger_component_migrations') IS NOT NULL AS present`,
  );
  if (!bookkeeping!.present) return [];
  const rows = await store.sql.query<{ version: number }>(
    'SELECT version FROM ledger_component_migrations WHERE component = $1 ORDER BY version',
    [component],
  );
  return rows.map((r) => r.version);
}

/** The schemas holding a table of that name. */
async function schemasOf(store: EventStore, table: string): Promise<string[]> {
  const rows = await store.sql.query<{ table_schema: string }>(
    'SELECT table_schema FROM information_schema.tables WHERE table_name = $1 ORDER BY table_schema',
    [table],
  );
  return rows.map((r) => r.table_schema);
}

async function columnsOf(store: EventStore, table: string): Promise<string[]> {
  const rows = await store.sql.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

/** Polls until the condition holds: wake-ups arrive on a connection of their own, at their own pace. */
async function eventually(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** For what must not happen: time enough for a notification sent before it to have arrived. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** A watcher that counts its wake-ups. */
async function watch(store: EventStore): Promise<{ count: () => number; stop: () => Promise<void> }> {
  let count = 0;
  const stop = await store.watchFeed(() => {
    count++;
  });
  return { count: () => count, stop };
}

/**
 * The Database with its feed announcements (`SELECT pg_notify(...)`) counted,
 * and on demand held back until released, or failed.
 */
function announcementsOf(db: Database) {
  let sent = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let fail = false;
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  const spied: Database = {
    ...db,
    query: async <Row>(text: string, params?: readonly unknown[]): Promise<Row[]> => {
      if (!text.includes('pg_notify')) return db.query<Row>(text, params);
      sent++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (gate) await gate.promise;
        if (fail) {
          fail = false;
          throw new Error('announcement failed');
        }
        return await db.query<Row>(text, params);
      } finally {
        inFlight--;
      }
    },
  };
  return {
    db: spied,
    sent: () => sent,
    maxInFlight: () => maxInFlight,
    hold: () => {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
    },
    release: () => {
      gate?.open();
      gate = null;
    },
    failNext: () => {
      fail = true;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to be rejected, but it resolved');
}

export function eventStoreContract(backend: string, options: ContractOptions): void {
  describe(`EventStore contract on ${backend}`, () => {
    let shared: ContractStore;
    let store: EventStore;

    beforeAll(async () => {
      shared = await options.open();
      store = shared.store;
    });
    afterAll(() => shared?.dispose());

    describe('append and read', () => {
      it('reads back what was appended, in order, with metadata and a hash', async () => {
        const id = streamOf();
        const result = await store.appendToStream(id, 'no_stream', issued(3), {
          commandId: randomUUID(),
          correlationId: 'corr-1',
          causationId: 'cause-1',
          actor: 'partner:acme',
        });
        expect(result).toMatchObject({ duplicate: false, streams: [{ streamId: id, version: 3 }] });
        expect(result.lastPosition! - result.firstPosition!).toBeGreaterThanOrEqual(2);

        const read = await store.readStream(id);
        expect(read.version).toBe(3);
        expect(read.events.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
        expect(read.events.map((e) => e.data['n'])).toEqual([1, 2, 3]);
        const [first] = read.events;
        expect(first!.metadata).toMatchObject({ correlationId: 'corr-1', causationId: 'cause-1', actor: 'partner:acme' });
        expect(first!.metadata.commandId).toBe(result.commandId);
        expect(Date.parse(first!.metadata.recordedAt)).not.toBeNaN();
        expect(first!.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(first!.globalPosition).toBe(result.firstPosition);
        expect(read.events[2]!.globalPosition).toBe(result.lastPosition);
      });

      it('reads an unknown stream as empty at version 0', async () => {
        expect(await store.readStream(streamOf())).toMatchObject({ version: 0, events: [] });
      });

      it('reads a stream after a version, up to a global position and up to a recorded time', async () => {
        let clock = new Date('2026-01-01T00:00:00.000Z');
        await withOwnStore(options, async (own) => {
          const id = streamOf();
          await own.store.appendToStream(id, 'no_stream', issued(2));
          clock = new Date('2026-02-01T00:00:00.000Z');
          const second = await own.store.appendToStream(id, 2, issued(2));
          clock = new Date('2026-03-01T00:00:00.000Z');
          await own.store.appendToStream(id, 4, issued(1));

          expect((await own.store.readStream(id, { afterVersion: 3 })).events.map((e) => e.streamPosition)).toEqual([4, 5]);
          expect((await own.store.readStream(id, { toPosition: second.firstPosition! })).version).toBe(3);
          const asOfJanuary = await own.store.readStream(id, { toRecordedAt: '2026-01-15T00:00:00Z' });
          expect(asOfJanuary.events.map((e) => e.metadata.recordedAt)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
          expect((await own.store.readStream(id, { limit: 1 })).events).toHaveLength(1);
        }, { now: () => clock });
      });

      it('appends 10,000 events in one call and reads them back in order', async () => {
        const id = streamOf('bulk');
        const events = Array.from({ length: 10_000 }, (_, i) => ({ type: 'SeatAllocated', data: { seat: i + 1 } }));
        const result = await store.appendToStream(id, 'no_stream', events);
        expect(result.streams).toEqual([{ streamId: id, version: 10_000 }]);
        const read = await store.readStream(id);
        expect(read.events).toHaveLength(10_000);
        read.events.forEach((e, i) => {
          expect(e.streamPosition).toBe(i + 1);
          expect(e.data['seat']).toBe(i + 1);
        });
        const positions = read.events.map((e) => e.globalPosition);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      });

      it('opens 10,000 streams and advances one more in a single atomic append (a claimed key)', async () => {
        const key = streamOf('key');
        await store.appendToStream(key, 'no_stream', [{ type: 'KeyIssued', data: { quantity: 10_000 } }]);
        const licenses = Array.from({ length: 10_000 }, () => streamOf('license'));
        const result = await store.append([
          { streamId: key, expectedVersion: 1, events: [{ type: 'KeyClaimed', data: { quantity: 10_000 } }] },
          ...licenses.map((streamId) => ({ streamId, expectedVersion: 'no_stream' as const, events: [{ type: 'LicenseIssued', data: {} }] })),
        ]);
        expect(result.streams).toHaveLength(10_001);
        expect(result.streams).toContainEqual({ streamId: key, version: 2 });
        expect(result.streams).toContainEqual({ streamId: licenses[9_999], version: 1 });
        expect((await store.readStream(licenses[0]!)).events.map((e) => e.type)).toEqual(['LicenseIssued']);
        // All or nothing: one stream already taken refuses the other 10,000.
        const again = [streamOf('license'), licenses[5_000]!];
        await expect(
          store.append([
            { streamId: key, expectedVersion: 2, events: [{ type: 'KeyClaimed', data: {} }] },
            ...again.map((streamId) => ({ streamId, expectedVersion: 'no_stream' as const, events: [{ type: 'LicenseIssued', data: {} }] })),
          ]),
        ).rejects.toMatchObject({ code: 'STREAM_VERSION_CONFLICT', streamId: licenses[5_000], expected: 'no_stream', actual: 1 });
        expect((await store.readStream(key)).version).toBe(2);
        expect((await store.readStream(again[0]!)).events).toEqual([]);
      });

      it('appends to several streams atomically, each at its expected version', async () => {
        const license = streamOf('license');
        const device = streamOf('device');
        await store.appendToStream(device, 'no_stream', issued(1));
        const result = await store.append([
          { streamId: license, expectedVersion: 'no_stream', events: issued(1) },
          { streamId: device, expectedVersion: 1, events: issued(2) },
        ]);
        expect(result.streams).toEqual(
          expect.arrayContaining([
            { streamId: license, version: 1 },
            { streamId: device, version: 3 },
          ]),
        );
        expect((await store.readStream(device)).version).toBe(3);
      });
    });

    describe('expected versions', () => {
      it('no_stream: allowed for a new stream, refused for an existing one', async () => {
        const id = streamOf();
        await store.appendToStream(id, 'no_stream', issued(1));
        const error = await rejection(store.appendToStream(id, 'no_stream', issued(1)));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ code: 'STREAM_VERSION_CONFLICT', kind: 'conflict', streamId: id, expected: 'no_stream', actual: 1 });
      });

      it('0 means no_stream', async () => {
        const id = streamOf();
        await store.appendToStream(id, 0, issued(1));
        await expect(store.appendToStream(id, 0, issued(1))).rejects.toMatchObject({ expected: 'no_stream', actual: 1 });
      });

      it('an exact version: allowed when it matches, refused with both versions when it does not', async () => {
        const id = streamOf();
        await store.appendToStream(id, 'no_stream', issued(2));
        await store.appendToStream(id, 2, issued(1));
        await expect(store.appendToStream(id, 2, issued(1))).rejects.toMatchObject({ streamId: id, expected: 2, actual: 3 });
        await expect(store.appendToStream(streamOf(), 5, issued(1))).rejects.toMatchObject({ expected: 5, actual: 0 });
      });

      it('stream_exists: allowed for an existing stream, refused for a new one', async () => {
        const id = streamOf();
        await expect(store.appendToStream(id, 'stream_exists', issued(1))).rejects.toMatchObject({ expected: 'stream_exists', actual: 0 });
        await store.appendToStream(id, 'no_stream', issued(1));
        expect((await store.appendToStream(id, 'stream_exists', issued(1))).streams).toEqual([{ streamId: id, version: 2 }]);
      });

      it('any: appends to a new stream and to an existing one', async () => {
        const id = streamOf();
        await store.appendToStream(id, 'any', issued(1));
        await store.appendToStream(id, 'any', issued(2));
        expect((await store.readStream(id)).version).toBe(3);
      });

      it('a stream with no events is only checked: a wrong version refuses the whole append', async () => {
        const guard = streamOf('account');
        const license = streamOf('license');
        await store.appendToStream(guard, 'no_stream', issued(1));
        await expect(
          store.append([
            { streamId: guard, expectedVersion: 2, events: [] },
            { streamId: license, expectedVersion: 'no_stream', events: issued(1) },
          ]),
        ).rejects.toMatchObject({ streamId: guard, expected: 2, actual: 1 });
        expect((await store.readStream(license)).events).toEqual([]);
        await store.append([
          { streamId: guard, expectedVersion: 1, events: [] },
          { streamId: license, expectedVersion: 'no_stream', events: issued(1) },
        ]);
        expect((await store.readStream(guard)).version).toBe(1);
        expect((await store.readStream(license)).version).toBe(1);
      });

      it('a two-stream append with one wrong expectation writes nothing to either stream', async () => {
        const license = streamOf('license');
        const device = streamOf('device');
        await store.appendToStream(device, 'no_stream', issued(1));
        const before = await eventCount(store);
        const error = await rejection(
          store.append([
            { streamId: license, expectedVersion: 'no_stream', events: issued(1) },
            { streamId: device, expectedVersion: 7, events: issued(1) },
          ]),
        );
        expect(error).toMatchObject({ streamId: device, expected: 7, actual: 1 });
        expect((await store.readStream(license)).events).toEqual([]);
        expect((await store.readStream(device)).version).toBe(1);
        expect(await eventCount(store)).toBe(before);
      });

      it('20 concurrent appends with the same expected version: exactly one wins and the stream has no gaps', async () => {
        const id = streamOf();
        await store.appendToStream(id, 'no_stream', issued(1));
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => store.appendToStream(id, 1, issued(2))));
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const l of lost) expect(l.reason).toMatchObject({ code: 'STREAM_VERSION_CONFLICT', expected: 1, actual: 3 });
        const read = await store.readStream(id);
        expect(read.events.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
      });

      it('20 concurrent creations of one new stream: exactly one wins', async () => {
        const id = streamOf();
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => store.appendToStream(id, 'no_stream', issued(1))));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        expect((await store.readStream(id)).version).toBe(1);
      });

      it('concurrent multi-stream appends over the same streams in opposite orders do not deadlock', async () => {
        const a = streamOf('a');
        const b = streamOf('b');
        await store.append([
          { streamId: a, expectedVersion: 'no_stream', events: issued(1) },
          { streamId: b, expectedVersion: 'no_stream', events: issued(1) },
        ]);
        const runs = Array.from({ length: 10 }, (_, i) =>
          store.append(
            i % 2 === 0
              ? [
                  { streamId: a, expectedVersion: 'any', events: issued(1) },
                  { streamId: b, expectedVersion: 'any', events: issued(1) },
                ]
              : [
                  { streamId: b, expectedVersion: 'any', events: issued(1) },
                  { streamId: a, expectedVersion: 'any', events: issued(1) },
                ],
          ),
        );
        await Promise.all(runs);
        expect((await store.readStream(a)).version).toBe(11);
        expect((await store.readStream(b)).version).toBe(11);
      });
    });

    describe('idempotency', () => {
      it('a retried command id appends nothing and returns the first result', async () => {
        const id = streamOf();
        const commandId = randomUUID();
        const first = await store.appendToStream(id, 'no_stream', issued(2), { commandId, result: { licenseIds: ['L1', 'L2'] } });
        const retry = await store.appendToStream(id, 'no_stream', issued(2), { commandId, result: { licenseIds: ['other'] } });
        expect(retry).toEqual({ ...first, duplicate: true });
        expect(retry.result).toEqual({ licenseIds: ['L1', 'L2'] });
        expect((await store.readStream(id)).version).toBe(2);
        expect(await store.findCommand(commandId)).toEqual({ ...first, duplicate: true });
        expect(await store.findCommand(randomUUID())).toBeNull();
      });

      it('concurrent retries of one command write once', async () => {
        const id = streamOf();
        const commandId = randomUUID();
        const results = await Promise.all(Array.from({ length: 10 }, () => store.appendToStream(id, 'any', issued(1), { commandId })));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.lastPosition)).size).toBe(1);
        expect((await store.readStream(id)).version).toBe(1);
      });

      it('a command that was refused leaves its id free for a corrected retry', async () => {
        const id = streamOf();
        const commandId = randomUUID();
        await expect(store.appendToStream(id, 3, issued(1), { commandId })).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.findCommand(commandId)).toBeNull();
        expect((await store.appendToStream(id, 'no_stream', issued(1), { commandId })).duplicate).toBe(false);
      });

      it('an event id already in the store is refused and nothing is written', async () => {
        const eventId = randomUUID();
        await store.appendToStream(streamOf(), 'no_stream', [{ eventId, type: 'LicenseIssued', data: {} }]);
        const other = streamOf();
        const error = await rejection(store.appendToStream(other, 'no_stream', [{ eventId: eventId.toUpperCase(), type: 'LicenseIssued', data: {} }]));
        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ code: 'DUPLICATE_EVENT_ID', eventId });
        expect((await store.readStream(other)).events).toEqual([]);
      });
    });

    describe('bad input is refused before anything is written', () => {
      const circular: Record<string, unknown> = {};
      circular['self'] = circular;
      const cases: [string, () => Promise<unknown>, RegExp][] = [
        ['an empty stream id', () => store.appendToStream('', 'any', issued(1)), /streamId: must be a non-empty string/],
        ['a stream id with a space', () => store.appendToStream('license 1', 'any', issued(1)), /printable ASCII/],
        ['a negative version', () => store.appendToStream(streamOf(), -1, issued(1)), /expectedVersion: must be a version/],
        ['a fractional version', () => store.appendToStream(streamOf(), 1.5, issued(1)), /expectedVersion/],
        ['an unknown expectation', () => store.appendToStream(streamOf(), 'maybe' as never, issued(1)), /expectedVersion/],
        ['a function in data', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: { f: (() => 1) as never } }]), /data\.f: a function is not JSON/],
        ['undefined in data', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: { u: undefined as never } }]), /data\.u: undefined is not JSON/],
        ['NaN in data', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: { n: Number.NaN } }]), /data\.n: NaN is not a JSON number/],
        ['a Date in data', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: { d: new Date() as never } }]), /a Date is not plain JSON/],
        ['a bigint in data', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: { b: 1n as never } }]), /a bigint is not JSON/],
        ['a circular object', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: circular as never }]), /circular/],
        ['a NUL character', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: { s: 'a\u0000b' } }]), /NUL/],
        ['a lone surrogate', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: { s: '\ud800' } }]), /surrogate/],
        ['data that is an array', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: [] as never }]), /data: must be a plain JSON object/],
        ['an event type with a space', () => store.appendToStream(streamOf(), 'any', [{ type: 'Key Claimed', data: {} }]), /type: must be a name/],
        ['an event id that is not a UUID', () => store.appendToStream(streamOf(), 'any', [{ eventId: 'e-1', type: 'X', data: {} }]), /eventId: must be a UUID/],
        ['a reserved metadata key', () => store.appendToStream(streamOf(), 'any', [{ type: 'X', data: {}, metadata: { actor: 'me' } }]), /metadata\.actor: is reserved/],
        ['no streams', () => store.append([]), /give at least one stream/],
        [
          'one stream twice',
          () => {
            const id = streamOf();
            return store.append([
              { streamId: id, expectedVersion: 'any', events: issued(1) },
              { streamId: id, expectedVersion: 'any', events: issued(1) },
            ]);
          },
          /appears twice/,
        ],
        ['an empty command id', () => store.appendToStream(streamOf(), 'any', issued(1), { commandId: '' }), /options\.commandId: must be a non-empty string/],
        ['a negative feed position', () => store.readFeed({ after: { epoch: 1, txId: 1, position: -1 } }), /after\.position/],
        ['a feed batch over the limit', () => store.readFeed({ limit: 1_000_000 }), /limit/],
        ['a bad instant', () => store.readStream(streamOf(), { toRecordedAt: 'yesterday' }), /toRecordedAt/],
        ['streams to read that are not an array', () => store.readStreams(streamOf() as never), /streamIds: must be an array/],
        ['a bad stream id among several to read', () => store.readStreams([streamOf(), 'license 2']), /streamIds\[1\]: may hold printable ASCII/],
        ['more streams to read than the limit', () => store.readStreams(Array.from({ length: 100_001 }, () => 'license-1')), /at most 100000 streams/],
        ['several streams to a negative position', () => store.readStreams([streamOf()], { toPosition: -1 }), /toPosition/],
        ['several streams to a bad instant', () => store.readStreams([streamOf()], { toRecordedAt: 'soon' }), /toRecordedAt/],
        ['a watcher that is not a function', () => store.watchFeed('wake' as never), /onAppend: must be a function/],
        ['a lock without a name', () => store.tryLock(''), /name: must be a non-empty string/],
        ['a lock name over 200 characters', () => store.tryLock('p'.repeat(201)), /name: must be at most 200/],
      ];

      it.each(cases)('%s', async (_name, act, message) => {
        const before = await eventCount(store);
        const error = await rejection(act());
        expect(error).toBeInstanceOf(InvalidAppendError);
        expect(error).toMatchObject({ code: 'INVALID_STORE_INPUT', kind: 'invalid' });
        expect((error as Error).message).toMatch(message);
        expect(await eventCount(store)).toBe(before);
      });
    });

    describe('global feed and checkpoints', () => {
      it('returns every event once, in batches, from any checkpoint', async () => {
        await withOwnStore(options, async (own) => {
          const ids = [streamOf(), streamOf(), streamOf()];
          for (const id of ids) await own.store.appendToStream(id, 'no_stream', issued(5));
          const { events: seen, checkpoint, pages } = await readFeedUntil(own.store, 15, FEED_START, 4);
          for (const size of pages) expect(size).toBeLessThanOrEqual(4);
          expect(seen).toHaveLength(15);
          expect((await own.store.readFeed({ after: checkpoint })).events).toEqual([]);
          expect(new Set(seen.map((e) => e.eventId)).size).toBe(15);
          expect(seen.map((e) => e.streamId)).toEqual(ids.flatMap((id) => Array(5).fill(id)));
          expect(checkpoint).toEqual({ epoch: 1, txId: seen[14]!.txId, position: seen[14]!.globalPosition });
        });
      });

      it('saves and reads a named checkpoint, refuses to move it backwards, deletes it', async () => {
        const name = `projector-${randomUUID()}`;
        expect(await store.readCheckpoint(name)).toBeNull();
        await store.saveCheckpoint(name, { epoch: 1, txId: 10, position: 5 });
        await store.saveCheckpoint(name, { epoch: 1, txId: 12, position: 3 });
        expect(await store.readCheckpoint(name)).toEqual({ epoch: 1, txId: 12, position: 3 });
        await expect(store.saveCheckpoint(name, { epoch: 1, txId: 11, position: 9 })).rejects.toBeInstanceOf(CheckpointMovedBackwardsError);
        await store.deleteCheckpoint(name);
        expect(await store.readCheckpoint(name)).toBeNull();
      });

      it("writes a checkpoint in the consumer's own transaction: a failed batch keeps neither its rows nor its checkpoint", async () => {
        const name = `projector-${randomUUID()}`;
        const table = `rm_${randomUUID().replace(/-/g, '')}`;
        await store.sql.query(`CREATE TABLE ${table} (id text PRIMARY KEY)`);
        await expect(
          store.transaction(async (tx) => {
            await tx.sql.query(`INSERT INTO ${table} VALUES ('row')`);
            await tx.saveCheckpoint(name, { epoch: 1, txId: 1, position: 1 });
            throw new Error('projector crashed mid-batch');
          }),
        ).rejects.toThrow('projector crashed mid-batch');
        expect(await store.readCheckpoint(name)).toBeNull();
        expect(await store.sql.query(`SELECT * FROM ${table}`)).toEqual([]);

        await store.transaction(async (tx) => {
          await tx.sql.query(`INSERT INTO ${table} VALUES ('row')`);
          await tx.saveCheckpoint(name, { epoch: 1, txId: 1, position: 1 });
        });
        expect(await store.readCheckpoint(name)).toEqual({ epoch: 1, txId: 1, position: 1 });
        await store.sql.query(`DROP TABLE ${table}`);
      });

      it('an append inside a transaction commits or rolls back with it', async () => {
        const id = streamOf();
        await expect(
          store.transaction(async (tx) => {
            await tx.appendToStream(id, 'no_stream', issued(1));
            expect((await tx.readStream(id)).version).toBe(1);
            throw new Error('abandon');
          }),
        ).rejects.toThrow('abandon');
        expect((await store.readStream(id)).version).toBe(0);
      });

      if (options.concurrentConnections) {
        it('never skips an event whose transaction took its id earlier but committed later', async () => {
          await withOwnStore(options, async (own) => {
            const s = own.store;
            const a = streamOf('a');
            const b = streamOf('b');
            const name = 'interleaving-reader';
            await s.saveCheckpoint(name, FEED_START);

            let releaseA!: () => void;
            const aMayAppend = new Promise<void>((resolve) => (releaseA = resolve));
            let aHasXid!: () => void;
            const aHoldsXid = new Promise<void>((resolve) => (aHasXid = resolve));
            const transactionA = s.transaction(async (tx) => {
              await tx.sql.query('SELECT pg_current_xact_id()'); // A takes its transaction id first
              aHasXid();
              await aMayAppend;
              await tx.appendToStream(a, 'no_stream', issued(1));
            });
            await aHoldsXid;

            await s.appendToStream(b, 'no_stream', issued(1)); // B appends and commits

            const first = await s.readFeed({ after: (await s.readCheckpoint(name))! });
            // B is held back while A, older, may still commit: reading B now would move the checkpoint past A.
            expect(first.events.map((e) => e.streamId)).toEqual([]);
            await s.saveCheckpoint(name, first.checkpoint);

            releaseA();
            await transactionA; // A appends and commits

            const next = await readFeedUntil(s, 2, (await s.readCheckpoint(name))!);
            expect(next.events.map((e) => e.streamId)).toEqual([a, b]);
            const [eventA, eventB] = next.events;
            expect(eventA!.txId).toBeLessThan(eventB!.txId);
            expect(eventA!.globalPosition).toBeGreaterThan(eventB!.globalPosition);
          });
        });
      }
    });

    describe('hash chain', () => {
      it('verifies chains written by the writer (new streams) and by the database (existing streams)', async () => {
        await withOwnStore(options, async (own) => {
          const id = streamOf();
          await own.store.appendToStream(id, 'no_stream', issued(3));
          await own.store.appendToStream(id, 3, issued(2));
          await own.store.appendToStream(id, 'any', [{ type: 'Noted', data: { text: 'line\nbreak, "quotes", tab\t, é, 😀' }, metadata: { source: 'import' } }]);
          await own.store.appendToStream(streamOf(), 'any', issued(2));
          const report = await own.store.verify();
          expect(report).toEqual({ ok: true, streamsChecked: 2, eventsChecked: 8, failures: [] });
        });
      });

      it('refuses to update or delete an event through SQL', async () => {
        const id = streamOf();
        await store.appendToStream(id, 'no_stream', issued(1));
        await expect(store.sql.query('UPDATE ledger_events SET data = $1::jsonb WHERE stream_id = $2', ['{}', id])).rejects.toMatchObject({ code: 'LV403' });
        await expect(store.sql.query('DELETE FROM ledger_events WHERE stream_id = $1', [id])).rejects.toMatchObject({ code: 'LV403' });
      });

      it('finds a row edited directly in SQL: the first stream and position that no longer match', async () => {
        await withOwnStore(options, async (own) => {
          const id = streamOf();
          const untouched = streamOf();
          await own.store.appendToStream(id, 'no_stream', issued(4));
          await own.store.appendToStream(untouched, 'no_stream', issued(2));
          await asSuperuser(own.store, async (sql) => {
            // A superuser can switch the guard trigger off; the hash chain still tells.
            await sql.query(`UPDATE ledger_events SET data = jsonb_set(data, '{n}', '99') WHERE stream_id = $1 AND stream_position = 2`, [id]);
          });
          const report = await own.store.verify();
          expect(report.ok).toBe(false);
          expect(report.eventsChecked).toBe(6);
          expect(report.failures).toEqual([expect.objectContaining({ streamId: id, streamPosition: 2, reason: 'hash_mismatch' })]);
          expect((await own.store.verify({ streamId: untouched })).ok).toBe(true);
        });
      });

      it('finds a deleted last event and a forged stream head', async () => {
        await withOwnStore(options, async (own) => {
          const cut = streamOf();
          const forged = streamOf();
          await own.store.appendToStream(cut, 'no_stream', issued(3));
          await own.store.appendToStream(forged, 'no_stream', issued(1));
          await asSuperuser(own.store, async (sql) => {
            await sql.query('DELETE FROM ledger_events WHERE stream_id = $1 AND stream_position = 3', [cut]);
            await sql.query(`UPDATE ledger_streams SET head_hash = '\\x00' WHERE stream_id = $1`, [forged]);
          });
          const { failures } = await own.store.verify();
          expect(failures).toEqual(
            expect.arrayContaining([
              expect.objectContaining({ streamId: cut, reason: 'version_mismatch' }),
              expect.objectContaining({ streamId: forged, streamPosition: 1, reason: 'head_mismatch' }),
            ]),
          );
        });
      });
    });

    describe('schema and epochs', () => {
      it('applies each migration once even when several processes start at once', async () => {
        await withOwnStore(options, async (own) => {
          const others = await Promise.all([own.openDatabase(), own.openDatabase(), own.openDatabase()]);
          try {
            const reports = await Promise.all(others.map((db) => migrate(db, own.schema)));
            for (const r of reports) expect(r.applied).toEqual([]);
            const rows = await own.store.sql.query<{ version: number }>('SELECT version FROM ledger_schema_migrations ORDER BY version');
            expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
          } finally {
            await Promise.all(others.map((db) => db.close()));
          }
        });
      });

      it('refuses a database whose applied migration differs, or that is newer than this build', async () => {
        await withOwnStore(options, async (own) => {
          await withConnection(own, async (db) => {
            await own.store.sql.query(`UPDATE ledger_schema_migrations SET checksum = 'edited' WHERE version = 1`);
            await expect(migrate(db, own.schema)).rejects.toBeInstanceOf(MigrationMismatchError);
            await own.store.sql.query(`DELETE FROM ledger_schema_migrations WHERE version = 1`);
            await own.store.sql.query(`INSERT INTO ledger_schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')`);
            await expect(migrate(db, own.schema)).rejects.toBeInstanceOf(SchemaTooNewError);
          });
        });
      });

      it('compares transaction ids as numbers, not as text, when deciding on a new epoch', async () => {
        await withOwnStore(options, async (own) => {
          const a = streamOf();
          const b = streamOf();
          await own.store.appendToStream(a, 'no_stream', issued(1));
          await own.store.appendToStream(b, 'no_stream', issued(1));
          // One id just above the counter with fewer digits than one far below it: as text '9…' sorts last.
          await asSuperuser(own.store, async (sql) => {
            await sql.query(`UPDATE ledger_events SET tx_id = (pg_current_xact_id()::text::bigint + 1000000000)::text::xid8 WHERE stream_id = $1`, [a]);
            await sql.query(`UPDATE ledger_events SET tx_id = '9'::xid8 WHERE stream_id = $1`, [b]);
          });
          await withConnection(own, async (db) => {
            expect((await migrate(db, own.schema)).newEpoch).toBe(2);
          });
        });
      });

      it('starts a new epoch when transaction ids went back, so later events still sort after earlier ones', async () => {
        await withOwnStore(options, async (own) => {
          const s = own.store;
          const old = streamOf();
          await s.appendToStream(old, 'no_stream', issued(1));
          // What a restore into another cluster looks like: stored ids beyond the counter.
          await asSuperuser(s, async (sql) => {
            await sql.query(`UPDATE ledger_events SET tx_id = (pg_current_xact_id()::text::bigint + 1000000)::text::xid8`);
          });
          await withConnection(own, async (db) => {
            expect((await migrate(db, own.schema)).newEpoch).toBe(2); // on start after the restore
            expect((await migrate(db, own.schema)).newEpoch).toBeUndefined();
          });
          const caughtUp = await readFeedUntil(s, 1);
          expect(caughtUp.events.map((e) => e.streamId)).toEqual([old]);

          const fresh = streamOf();
          await s.appendToStream(fresh, 'no_stream', issued(1));
          // In epoch 1 its lower transaction id would sort before the checkpoint and be skipped.
          expect((await readFeedUntil(s, 1, caughtUp.checkpoint)).events.map((e) => [e.streamId, e.epoch])).toEqual([[fresh, 2]]);
        });
      });
    });

    describe('component migrations', () => {
      it("applies a component's migrations in order, in the store's schema, and reports them", async () => {
        const { component, table } = freshComponent();
        const report = await store.migrateComponent(component, componentMigrations(table));
        expect(report).toEqual({ component, applied: [1, 2], version: 2 });
        expect(await columnsOf(store, table)).toEqual(['id', 'seats']);
        expect(await schemasOf(store, table)).toEqual([shared.schema]);
        expect(await schemasOf(store, 'ledger_component_migrations')).toContain(shared.schema); // other suites may have theirs
        const rows = await store.sql.query<{ version: number; name: string; checksum: string }>(
          'SELECT version, name, checksum FROM ledger_component_migrations WHERE component = $1 ORDER BY version',
          [component],
        );
        expect(rows).toEqual([
          { version: 1, name: 'licenses table', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) },
          { version: 2, name: 'seats column', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) },
        ]);

        // Versions belong to their component: another one starts at 1 of its own.
        const other = freshComponent();
        expect(await store.migrateComponent(other.component, componentMigrations(other.table).slice(0, 1))).toEqual({
          component: other.component,
          applied: [1],
          version: 1,
        });
        expect(await componentVersions(store, component)).toEqual([1, 2]);
      });

      it('applies nothing the second time', async () => {
        const { component, table } = freshComponent();
        await store.migrateComponent(component, componentMigrations(table));
        expect(await store.migrateComponent(component, componentMigrations(table))).toEqual({ component, applied: [], version: 2 });
        expect(await componentVersions(store, component)).toEqual([1, 2]);
      });

      it('applies only the version added later', async () => {
        const { component, table } = freshComponent();
        const [first, second] = componentMigrations(table);
        expect(await store.migrateComponent(component, [first!])).toEqual({ component, applied: [1], version: 1 });
        expect(await columnsOf(store, table)).toEqual(['id']);
        expect(await store.migrateComponent(component, [first!, second!])).toEqual({ component, applied: [2], version: 2 });
        expect(await columnsOf(store, table)).toEqual(['id', 'seats']);
      });

      it('refuses an applied migration that was edited, and applies nothing', async () => {
        const { component, table } = freshComponent();
        const [first, second] = componentMigrations(table);
        await store.migrateComponent(component, [first!]);
        const edited = { ...first!, sql: `${first!.sql}; CREATE INDEX ${table}_again ON ${table} (id)` };
        const error = await rejection(store.migrateComponent(component, [edited, second!]));
        expect(error).toBeInstanceOf(MigrationMismatchError);
        expect(error).toMatchObject({ code: 'MIGRATION_MISMATCH', kind: 'unavailable', component, version: 1, problem: 'changed' });
        expect(await componentVersions(store, component)).toEqual([1]);
        expect(await columnsOf(store, table)).toEqual(['id']);
      });

      it('refuses a list that lost an applied migration or inserts one below the newest applied', async () => {
        const { component, table } = freshComponent();
        const [first, second] = componentMigrations(table);
        const third = { version: 3, name: 'licensee column', sql: `ALTER TABLE ${table} ADD COLUMN licensee text` };
        await store.migrateComponent(component, [first!, third]);
        await expect(store.migrateComponent(component, [third])).rejects.toMatchObject({
          code: 'MIGRATION_MISMATCH',
          version: 1,
          problem: 'missing',
        });
        await expect(store.migrateComponent(component, [first!, second!, third])).rejects.toMatchObject({
          code: 'MIGRATION_MISMATCH',
          version: 2,
          problem: 'out_of_order',
        });
        expect(await componentVersions(store, component)).toEqual([1, 3]);
        expect(await columnsOf(store, table)).toEqual(['id', 'licensee']);
      });

      it('refuses a database that holds a newer version than the list', async () => {
        const { component, table } = freshComponent();
        const migrations = componentMigrations(table);
        await store.migrateComponent(component, migrations);
        const error = await rejection(store.migrateComponent(component, migrations.slice(0, 1)));
        expect(error).toBeInstanceOf(SchemaTooNewError);
        expect(error).toMatchObject({ code: 'SCHEMA_TOO_NEW', component, databaseVersion: 2, buildVersion: 1 });
        await expect(store.migrateComponent(component, [])).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', buildVersion: 0 });
      });

      it('rolls a failing migration back entirely: no table, no bookkeeping row', async () => {
        await withOwnStore(options, async (own) => {
          const { component, table } = freshComponent();
          const [first, second] = componentMigrations(table);
          // The failure is the second statement of the second migration: the first migration goes too.
          const failing = { ...second!, sql: `${second!.sql}; INSERT INTO ${table}_missing VALUES (1)` };
          await expect(own.store.migrateComponent(component, [first!, failing])).rejects.toThrow(/missing/);
          expect(await schemasOf(own.store, table)).toEqual([]);
          expect(await componentVersions(own.store, component)).toEqual([]);

          expect(await own.store.migrateComponent(component, [first!, second!])).toMatchObject({ applied: [1, 2] });
          expect(await columnsOf(own.store, table)).toEqual(['id', 'seats']);
        });
      });

      it('applies each migration once when several stores migrate the same components at once', async () => {
        await withOwnStore(options, async (own) => {
          // A fresh store: the bookkeeping table does not exist yet, so its creation races too.
          const others = await Promise.all([own.openDatabase(), own.openDatabase(), own.openDatabase()]);
          try {
            const stores = [own.store, ...others.map((db) => new SqlEventStore(db))];
            // Not idempotent: a second run would fail (CREATE TABLE) or add a second row.
            const migrationsOf = (table: string): ComponentMigration[] => [
              ...componentMigrations(table),
              {
                version: 3,
                name: 'seed',
                sql: `${options.concurrentConnections ? 'SELECT pg_sleep(0.05);' : ''} INSERT INTO ${table} (id) VALUES ('once')`,
              },
            ];
            // Twice: first racing the bookkeeping table's creation as well, then with it in place.
            for (let round = 0; round < 2; round++) {
              const components = [freshComponent(), freshComponent()];
              const reports = await Promise.all(
                components.flatMap(({ component, table }) => stores.map((s) => s.migrateComponent(component, migrationsOf(table)))),
              );
              for (const { component, table } of components) {
                const mine = reports.filter((r) => r.component === component);
                expect(mine.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([[1, 2, 3], [], [], []]);
                expect(mine.every((r) => r.version === 3)).toBe(true);
                expect(await componentVersions(own.store, component)).toEqual([1, 2, 3]);
                expect(await own.store.sql.query(`SELECT id, seats FROM ${table}`)).toEqual([{ id: 'once', seats: 0 }]);
              }
            }
          } finally {
            await Promise.all(others.map((db) => db.close()));
          }
        });
      });

      it('refuses an invalid component name or migration list before any SQL', async () => {
        const { component, table } = freshComponent();
        const valid = componentMigrations(table);
        for (const name of ['', 'Readmodel', '1st', '-x', 'has space', 'dot.ted', 'é', 'a'.repeat(64), 42 as unknown as string]) {
          const error = await rejection(store.migrateComponent(name, valid));
          expect(error).toBeInstanceOf(InvalidAppendError);
          expect(error).toMatchObject({ code: 'INVALID_STORE_INPUT', kind: 'invalid', path: 'component' });
        }
        expect((await store.migrateComponent(`a${'b'.repeat(62)}`, [])).applied).toEqual([]);

        const [first, second] = valid as [ComponentMigration, ComponentMigration];
        const lists: [unknown, string][] = [
          [null, 'migrations'],
          [[first, { ...second, version: 1 }], 'migrations[1].version'],
          [[second, first], 'migrations[1].version'],
          [[{ ...first, version: 0 }], 'migrations[0].version'],
          [[{ ...first, version: 1.5 }], 'migrations[0].version'],
          [[{ ...first, version: 2 ** 31 }], 'migrations[0].version'],
          [[{ ...first, name: ' ' }], 'migrations[0].name'],
          [[{ ...first, sql: '' }], 'migrations[0].sql'],
          [[first, 'CREATE TABLE x ()'], 'migrations[1]'],
        ];
        for (const [list, path] of lists) {
          await expect(store.migrateComponent(component, list as ComponentMigration[])).rejects.toMatchObject({
            code: 'INVALID_STORE_INPUT',
            path,
          });
        }
        expect(await componentVersions(store, component)).toEqual([]);
        expect(await schemasOf(store, table)).toEqual([]);
      });
    });

    describe('reading several streams at once', () => {
      it('returns one read per id, in the order given, an unknown stream as empty, a repeated id twice', async () => {
        const [a, b, c] = [streamOf(), streamOf(), streamOf()];
        const unknown = streamOf();
        await store.appendToStream(a, 'no_stream', issued(3));
        await store.appendToStream(b, 'no_stream', issued(1));
        await store.appendToStream(c, 'no_stream', issued(2));
        await store.appendToStream(a, 3, issued(1));

        const reads = await store.readStreams([c, unknown, a, b, c]);
        expect(reads.map((r) => [r.streamId, r.version])).toEqual([[c, 2], [unknown, 0], [a, 4], [b, 1], [c, 2]]);
        expect(reads[1]!.events).toEqual([]);
        expect(reads[2]!.events.map((e) => e.streamPosition)).toEqual([1, 2, 3, 4]);
        // The same as reading each on its own.
        for (const read of reads) expect(read).toEqual(await store.readStream(read.streamId));
        expect(reads[0]!.events).not.toBe(reads[4]!.events);
        expect(await store.readStreams([])).toEqual([]);
      });

      it('reads every stream as of a global position or a recorded time, like readStream', async () => {
        let clock = new Date('2026-01-01T00:00:00.000Z');
        await withOwnStore(options, async (own) => {
          const [a, b] = [streamOf(), streamOf()];
          await own.store.append([
            { streamId: a, expectedVersion: 'no_stream', events: issued(2) },
            { streamId: b, expectedVersion: 'no_stream', events: issued(1) },
          ]);
          clock = new Date('2026-02-01T00:00:00.000Z');
          const february = await own.store.append([
            { streamId: a, expectedVersion: 2, events: issued(1) },
            { streamId: b, expectedVersion: 1, events: issued(2) },
          ]);
          const late = streamOf();
          await own.store.appendToStream(late, 'no_stream', issued(1));

          const asOfJanuary = await own.store.readStreams([a, b, late], { toRecordedAt: new Date('2026-01-31T00:00:00Z') });
          expect(asOfJanuary.map((r) => r.version)).toEqual([2, 1, 0]);
          const atPosition = await own.store.readStreams([b, a, late], { toPosition: february.firstPosition! });
          for (const read of atPosition) expect(read).toEqual(await own.store.readStream(read.streamId, { toPosition: february.firstPosition! }));
          expect((await own.store.readStreams([a, b, late], { toPosition: 0 })).map((r) => r.events)).toEqual([[], [], []]);
        }, { now: () => clock });
      });

      it("sees its transaction's own appends", async () => {
        const [a, b] = [streamOf(), streamOf()];
        await store.appendToStream(a, 'no_stream', issued(1));
        await store.transaction(async (tx) => {
          await tx.appendToStream(b, 'no_stream', issued(2));
          expect((await tx.readStreams([a, b])).map((r) => r.version)).toEqual([1, 2]);
        });
      });
    });

    describe('feed wake-ups', () => {
      it('wakes a watcher after a committed append and after a transaction that appended, never for a rolled-back one', async () => {
        await withOwnStore(options, async (own) => {
          const watcher = await watch(own.store);
          try {
            await own.store.append([
              { streamId: streamOf(), expectedVersion: 'no_stream', events: issued(1) },
              { streamId: streamOf('device'), expectedVersion: 'no_stream', events: issued(2) },
            ]);
            await eventually(() => watcher.count() === 1, 'the wake-up of store.append');

            await expect(
              own.store.transaction(async (tx) => {
                await tx.appendToStream(streamOf(), 'no_stream', issued(1));
                throw new Error('abandon');
              }),
            ).rejects.toThrow('abandon');
            // Three appends, the last one to a stream that exists: one announcement, after the commit.
            const id = streamOf();
            await own.store.transaction(async (tx) => {
              await tx.appendToStream(id, 'no_stream', issued(2));
              await tx.appendToStream(streamOf(), 'no_stream', issued(1));
              await tx.appendToStream(id, 2, issued(1));
            });
            await eventually(() => watcher.count() >= 2, 'the wake-up of the transaction');
            await settle();
            expect(watcher.count()).toBe(2);

            await own.store.appendToStream(id, 3, issued(1));
            await eventually(() => watcher.count() === 3, 'the wake-up of store.appendToStream');
          } finally {
            await watcher.stop();
          }
        });
      });

      it('wakes no one for appends that wrote nothing: a replayed command id, no events, a transaction without appends', async () => {
        await withOwnStore(options, async (own) => {
          const watcher = await watch(own.store);
          try {
            const id = streamOf();
            const commandId = randomUUID();
            await own.store.appendToStream(id, 'no_stream', issued(1), { commandId });
            await eventually(() => watcher.count() === 1, 'the wake-up of the first append');

            expect((await own.store.appendToStream(id, 'no_stream', issued(1), { commandId })).duplicate).toBe(true);
            expect((await own.store.append([{ streamId: id, expectedVersion: 1, events: [] }])).firstPosition).toBeNull();
            await own.store.transaction(async (tx) => {
              expect((await tx.appendToStream(id, 'no_stream', issued(1), { commandId })).duplicate).toBe(true);
              await tx.append([{ streamId: streamOf(), expectedVersion: 'no_stream', events: [] }]);
              await tx.readStream(id);
            });
            await settle();
            expect(watcher.count()).toBe(1);
          } finally {
            await watcher.stop();
          }
        });
      });

      it('wakes a watcher at least once for a burst of concurrent appends, and never more often than there were appends', async () => {
        await withOwnStore(options, async (own) => {
          const watcher = await watch(own.store);
          try {
            const appends = 50;
            await Promise.all(Array.from({ length: appends }, () => own.store.appendToStream(streamOf(), 'no_stream', issued(1))));
            await eventually(() => watcher.count() >= 1, 'a wake-up after the burst');
            await settle();
            expect(watcher.count()).toBeLessThanOrEqual(appends);
          } finally {
            await watcher.stop();
          }
        });
      });

      it('announces one at a time: appends committing meanwhile get exactly one more; close waits for it; a failure is dropped', async () => {
        await withOwnStore(options, async (own) => {
          const watcher = await watch(own.store);
          const db = await own.openDatabase();
          const spy = announcementsOf(db);
          const writer = new SqlEventStore(spy.db);
          let closed = false;
          try {
            spy.hold();
            await writer.appendToStream(streamOf(), 'no_stream', issued(1)); // resolves with its announcement held
            await eventually(() => spy.sent() === 1, 'the first announcement sent');
            await writer.appendToStream(streamOf(), 'no_stream', issued(1));
            await Promise.all(Array.from({ length: 5 }, () => writer.appendToStream(streamOf(), 'no_stream', issued(1))));
            await writer.transaction((tx) => tx.appendToStream(streamOf(), 'no_stream', issued(1)));
            await settle();
            expect(spy.sent()).toBe(1); // still the first one, held

            spy.release();
            await eventually(() => watcher.count() === 2, 'the held announcement, then one for the appends meanwhile');
            await settle();
            expect([spy.sent(), spy.maxInFlight(), watcher.count()]).toEqual([2, 1, 2]);

            spy.failNext();
            await writer.appendToStream(streamOf(), 'no_stream', issued(1)); // its announcement fails, unseen
            await eventually(() => spy.sent() === 3, 'the failing announcement tried');
            await settle();
            expect(watcher.count()).toBe(2);

            spy.hold();
            await writer.appendToStream(streamOf(), 'no_stream', issued(1));
            await eventually(() => spy.sent() === 4, 'the last announcement sent');
            const closing = writer.close().then(() => {
              closed = true;
            });
            await settle();
            expect(closed).toBe(false); // waiting for the announcement in flight
            spy.release();
            await closing;
            await eventually(() => watcher.count() === 3, 'the announcement close waited for');
            expect(spy.sent()).toBe(4);
          } finally {
            spy.release();
            if (!closed) await writer.close();
            await watcher.stop();
          }
        });
      });

      it('with notifyAppends: false, announces nothing and wakes no one', async () => {
        await withOwnStore(options, async (own) => {
          const watcher = await watch(own.store);
          const db = await own.openDatabase();
          const spy = announcementsOf(db);
          expect(() => new SqlEventStore(spy.db, { notifyAppends: 'no' as never })).toThrow(/notifyAppends: must be a boolean/);
          const quiet = new SqlEventStore(spy.db, { notifyAppends: false });
          try {
            await quiet.appendToStream(streamOf(), 'no_stream', issued(1));
            await quiet.transaction((tx) => tx.appendToStream(streamOf(), 'no_stream', issued(2)));
            await Promise.all(Array.from({ length: 5 }, () => quiet.appendToStream(streamOf(), 'no_stream', issued(1))));
            await settle();
            expect([spy.sent(), watcher.count()]).toEqual([0, 0]);
            // The watcher does listen: an announcing store wakes it.
            await own.store.appendToStream(streamOf(), 'no_stream', issued(1));
            await eventually(() => watcher.count() === 1, 'the wake-up of an announcing store');
          } finally {
            await quiet.close();
            await watcher.stop();
          }
        });
      });

      it('no longer wakes a watcher that stopped; stopping twice is harmless', async () => {
        const stopped = await watch(store);
        const staying = await watch(store);
        try {
          await store.appendToStream(streamOf(), 'no_stream', issued(1));
          await eventually(() => stopped.count() === 1 && staying.count() === 1, 'both watchers woken');
          await stopped.stop();
          await stopped.stop();
          await store.appendToStream(streamOf(), 'no_stream', issued(1));
          // Both hear the same notification: by the time one does, the other would have.
          await eventually(() => staying.count() === 2, 'the remaining watcher woken again');
          expect(stopped.count()).toBe(1);

          const late = await watch(store); // listening anew after the others stopped
          await staying.stop();
          await store.appendToStream(streamOf(), 'no_stream', issued(1));
          await eventually(() => late.count() === 1, 'a watcher that started later');
          expect([stopped.count(), staying.count()]).toEqual([1, 2]);
          await late.stop();
        } finally {
          await stopped.stop();
          await staying.stop();
        }
      });

      it("does not wake a watcher of another store's schema", async () => {
        await withOwnStore(options, async (own) => {
          const here = await watch(store);
          const there = await watch(own.store);
          try {
            await own.store.appendToStream(streamOf(), 'no_stream', issued(1));
            await eventually(() => there.count() === 1, "the other store's watcher woken");
            await settle();
            expect(here.count()).toBe(0);
          } finally {
            await here.stop();
            await there.stop();
          }
        });
      });
    });

    describe('head position', () => {
      it('is 0 before any append, then the last position drawn, also by an append that rolled back', async () => {
        await withOwnStore(options, async (own) => {
          expect(await own.store.headPosition()).toBe(0);
          const first = await own.store.appendToStream(streamOf(), 'no_stream', issued(3));
          expect(await own.store.headPosition()).toBe(first.lastPosition);

          await expect(
            own.store.transaction(async (tx) => {
              await tx.appendToStream(streamOf(), 'no_stream', issued(2));
              throw new Error('abandon');
            }),
          ).rejects.toThrow('abandon');
          // Drawn and gone: the head is past every stored event.
          expect(await own.store.headPosition()).toBe(first.lastPosition! + 2);
          const [max] = await own.store.sql.query<{ max: string | number }>('SELECT max(global_position) AS max FROM ledger_events');
          expect(Number(max!.max)).toBe(first.lastPosition);

          const next = await own.store.appendToStream(streamOf(), 'no_stream', issued(1));
          expect(next.lastPosition).toBe(first.lastPosition! + 3);
          expect(await own.store.headPosition()).toBe(next.lastPosition);
        });
      });
    });

    describe('locks', () => {
      it('refuses a second holder of a name until the first releases it; names are independent', async () => {
        const name = `projector-${randomUUID()}`;
        const lock = await store.tryLock(name);
        expect(lock).not.toBeNull();
        expect(await store.tryLock(name)).toBeNull();
        const other = await store.tryLock(`${name}-other`);
        expect(other).not.toBeNull();
        await lock!.release();
        await lock!.release(); // twice: nothing more
        const again = await store.tryLock(name);
        expect(again).not.toBeNull();
        expect(await store.tryLock(name)).toBeNull();
        await again!.release();
        await other!.release();
      });

      it('grants one of several concurrent attempts', async () => {
        const name = `projector-${randomUUID()}`;
        const locks = await Promise.all(Array.from({ length: 5 }, () => store.tryLock(name)));
        expect(locks.filter((l) => l !== null)).toHaveLength(1);
        await Promise.all(locks.map((l) => l?.release()));
      });

      it('is refused while another store object holds it' + (options.concurrentConnections ? ', and free once that store closed' : ''), async () => {
        await withOwnStore(options, async (own) => {
          const name = 'projector-licenses';
          const db = await own.openDatabase();
          const other = new SqlEventStore(db); // another pool: another process, as far as PostgreSQL knows
          let otherClosed = false;
          try {
            const held = await other.tryLock(name);
            expect(held).not.toBeNull();
            expect(await own.store.tryLock(name)).toBeNull();
            // The name belongs to the store's schema: the same name elsewhere is another lock.
            const elsewhere = await store.tryLock(name);
            expect(elsewhere).not.toBeNull();
            await elsewhere!.release();
            if (options.concurrentConnections) {
              await other.close();
              otherClosed = true;
            } else {
              await held!.release();
            }
            const mine = await own.store.tryLock(name);
            expect(mine).not.toBeNull();
            await mine!.release();
          } finally {
            if (!otherClosed) await other.close();
          }
        });
      });
    });

    it('reports its health', async () => {
      expect(await store.health()).toMatchObject({ ok: true, backend: store.backend });
    });
  });
}
