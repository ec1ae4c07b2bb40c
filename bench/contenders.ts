/**
 * The three ways of appending that the store benchmark compares, each in a
 * place of its own (a schema, or for Emmett a database) created by `setup`
 * and removed by `teardown`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { openEventStore, uuidv7, type JsonObject, type NewEvent } from '@ledger/event-store';
import pg from 'pg';
import postgres from 'postgres';
import type { Contender, Session } from './harness';

export interface ManagedContender extends Contender {
  setup(): Promise<void>;
  /** Safe to call when setup failed halfway, or never ran. */
  teardown(): Promise<void>;
}

/** Statements of the benchmark itself (creating and dropping schemas), on one connection. */
export type AdminSql = postgres.Sql;

/** The same payload for everyone: the data of a small licensing event. */
export function licenseData(): JsonObject {
  return { licenseId: randomUUID(), modelCode: 'AP-1YR-LIC', seats: 1 };
}

/**
 * What our store writes as metadata when an append gives no options; handed
 * to the others too, so that every row carries the same JSON.
 */
export function standardMetadata(): JsonObject {
  return { actor: null, causationId: null, commandId: null, correlationId: null, recordedAt: new Date().toISOString() };
}

export const newStreamId = (): string => `license-${randomUUID()}`;

export function suffix(): string {
  return randomBytes(4).toString('hex');
}

/** A schema holding the store's tables, migrated before any round and dropped at the end. */
function migratedSchema(databaseUrl: string, admin: AdminSql, schema: string): Pick<ManagedContender, 'setup' | 'teardown'> {
  return {
    async setup() {
      const { store } = await openEventStore({ databaseUrl, schema, poolSize: 1 });
      await store.close();
    },
    async teardown() {
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/* ---------- the floor: plain INSERTs into a migrated ledger_events, bypassing the store ---------- */

/** One multi-row INSERT for `rows` events of one stream: a single statement, so one implicit transaction. */
function floorInsert(schema: string, rows: number): string {
  const values = Array.from({ length: rows }, (_, r) => {
    const p = (k: number) => `$${r * 8 + k}`;
    return `(1, ${p(1)}, ${p(2)}, ${p(3)}::uuid, ${p(4)}, 1, ${p(5)}::text::jsonb, ${p(6)}::text::jsonb, ${p(7)}::timestamptz, ${p(8)})`;
  });
  return `INSERT INTO ${schema}.ledger_events
    (epoch, stream_id, stream_position, event_id, event_type, schema_version, data, metadata, recorded_at, hash)
    VALUES ${values.join(', ')}`;
}

/** Any 32 bytes: the floor measures the database's work, not hashing. */
const FLOOR_HASH = Buffer.alloc(32, 7);

export function floorContender(databaseUrl: string, admin: AdminSql): ManagedContender {
  const schema = `bench_floor_${suffix()}`;
  return {
    name: 'raw INSERT (floor)',
    // The store's own migrations make the table, so the floor's is its exact
    // equal (columns, defaults, indexes); the floor then bypasses the store
    // (and sends no feed announcements).
    ...migratedSchema(databaseUrl, admin, schema),
    async open(concurrency, eventsPerAppend): Promise<Session> {
      const sql = postgres(databaseUrl, { max: concurrency, onnotice: () => undefined, connection: { application_name: 'bench-floor' } });
      const text = floorInsert(schema, eventsPerAppend);
      return {
        async append() {
          const streamId = newStreamId();
          const metadata = JSON.stringify(standardMetadata());
          const params: (string | number | Buffer)[] = [];
          for (let i = 1; i <= eventsPerAppend; i++) {
            const data = JSON.stringify(licenseData());
            params.push(streamId, i, uuidv7(), 'LicenseIssued', data, metadata, new Date().toISOString(), FLOOR_HASH);
          }
          await sql.unsafe(text, params, { prepare: true });
        },
        close: () => sql.end({ timeout: 5 }),
      };
    },
  };
}

/* ---------- ours ---------- */

export interface OursContender extends ManagedContender {
  /** Where the store's tables are: the 10,000-event appends and feed reads use them too. */
  readonly schema: string;
}

/**
 * Our store; `notifyAppends: false` (an extra) is the same store without its
 * feed announcements (a NOTIFY after each committed append, coalesced).
 */
export function oursContender(
  databaseUrl: string,
  admin: AdminSql,
  options: { withCommandId: boolean; notifyAppends?: boolean },
): OursContender {
  const notifyAppends = options.notifyAppends ?? true;
  const schema = `bench_ours${options.withCommandId ? '_cmd' : ''}${notifyAppends ? '' : '_nonotify'}_${suffix()}`;
  return {
    name: options.withCommandId ? 'ours + commandId (extra)' : notifyAppends ? 'ours' : 'ours, notifyAppends off (extra)',
    schema,
    ...migratedSchema(databaseUrl, admin, schema),
    async open(concurrency, eventsPerAppend): Promise<Session> {
      // Migrated in setup: a round measures appends only.
      const { store } = await openEventStore({ databaseUrl, schema, poolSize: concurrency, migrate: false, notifyAppends });
      return {
        async append() {
          const events: NewEvent[] = Array.from({ length: eventsPerAppend }, () => ({ type: 'LicenseIssued', data: licenseData() }));
          await store.appendToStream(newStreamId(), 'no_stream', events, options.withCommandId ? { commandId: randomUUID() } : undefined);
        },
        close: () => store.close(),
      };
    },
  };
}

/* ---------- Emmett ---------- */

/**
 * Emmett 0.42.0 (with dumbo 0.12.7) writes its tables and functions without a
 * schema prefix and checks for them by name across every schema
 * (`SELECT FROM pg_proc WHERE proname = ...`), so a second copy in another
 * schema of the same database would be taken for already installed. Hence a
 * database of its own, where it lives in `public` as it expects.
 *
 * Its pool: getPostgreSQLEventStore builds a pg.Pool of pg's default size (10)
 * from the connection string, and offers no size option; it does accept a
 * pool of ours (`connectionOptions.pool`), which it then never closes. So each
 * round hands it a pg.Pool of `concurrency` connections and ends it afterwards.
 */
export function emmettContender(databaseUrl: string, admin: AdminSql): ManagedContender {
  const database = `bench_emmett_${suffix()}`;
  const url = withDatabase(databaseUrl, database);
  let created = false;
  const connect = (max: number) => {
    const pool = new pg.Pool({ connectionString: url, max, application_name: 'bench-emmett' });
    const store: PostgresEventStore = getPostgreSQLEventStore(url, {
      connectionOptions: { pool },
      // Migrated once in setup; otherwise each new store object would run
      // its migration check on first append.
      schema: { autoMigration: 'None' },
    });
    return {
      store,
      close: async () => {
        await store.close();
        await pool.end();
      },
    };
  };
  return {
    name: 'Emmett 0.42.0',
    async setup() {
      await admin.unsafe(`CREATE DATABASE ${database}`);
      created = true;
      const { store, close } = connect(1);
      try {
        await store.schema.migrate();
      } finally {
        await close();
      }
    },
    async teardown() {
      if (created) await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
    async open(concurrency, eventsPerAppend): Promise<Session> {
      const { store, close } = connect(concurrency);
      return {
        async append() {
          const metadata = standardMetadata();
          const events = Array.from({ length: eventsPerAppend }, () => ({ type: 'LicenseIssued', data: licenseData(), metadata }));
          // 0.42.0 sends no expected version for STREAM_DOES_NOT_EXIST: the
          // primary key of emt_streams refuses an existing stream instead.
          await store.appendToStream(newStreamId(), events, { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
        },
        close,
      };
    },
  };
}

export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
