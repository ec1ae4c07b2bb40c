import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { eventStoreContract } from './event-store.contract';
import type { EventStore } from './event-store.port';
import { openDatabase, openEventStore } from './open-event-store';

// jest.config.js runs this file only when DATABASE_URL is set (CI sets it).
const databaseUrl = process.env['DATABASE_URL']!;

// Every store gets a schema of its own, dropped afterwards: suites and runs never share state.
eventStoreContract('PostgreSQL', {
  concurrentConnections: true,
  open: async ({ now } = {}) => {
    const schema = `es_test_${randomBytes(6).toString('hex')}`;
    const { store } = await openEventStore({ databaseUrl, schema, ...(now ? { now } : {}) });
    return {
      store,
      schema,
      openDatabase: () => openDatabase({ databaseUrl, schema, poolSize: 2 }),
      dispose: async () => {
        await store.close();
        const admin = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
        await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      },
    };
  },
});

describe('PostgreSQL: wake-ups and locks across connections', () => {
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  const schemas: string[] = [];
  const open = async (schema = `es_test_${randomBytes(6).toString('hex')}`) => {
    schemas.push(schema);
    return (await openEventStore({ databaseUrl, schema, poolSize: 2 })).store;
  };
  afterAll(async () => {
    for (const schema of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  async function eventually<T>(attempt: () => Promise<T | null | false>, what: string): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await attempt();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`not within 10 s: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const append = (store: EventStore) => store.appendToStream(`license-${randomBytes(8).toString('hex')}`, 'no_stream', [{ type: 'LicenseIssued', data: {} }]);

  it('listens again after losing its connection, and wakes the watcher then (appends meanwhile went unannounced)', async () => {
    const schema = `es_test_${randomBytes(6).toString('hex')}`;
    const store = await open(schema);
    let count = 0;
    const stop = await store.watchFeed(() => count++);
    try {
      const [listener] = await admin.unsafe<{ pid: number }[]>('SELECT pid FROM pg_stat_activity WHERE query = $1', [`listen "ledger_events_${schema}"`]);
      expect(listener).toBeDefined();
      await admin.unsafe('SELECT pg_terminate_backend($1)', [listener!.pid]);
      await eventually(async () => count === 1, 'the wake-up after listening again');
      await append(store);
      await eventually(async () => count === 2, 'a wake-up on the new connection');
    } finally {
      await stop();
      await store.close();
    }
  });

  it('names the channel after an MD5 of a schema name too long for a channel', async () => {
    const schema = `es_test_${'x'.repeat(42)}${randomBytes(6).toString('hex')}`; // 62 characters
    const store = await open(schema);
    let count = 0;
    const stop = await store.watchFeed(() => count++);
    try {
      const [channel] = await admin.unsafe<{ name: string }[]>(`SELECT 'ledger_events_' || md5($1) AS name`, [schema]);
      const listening = await admin.unsafe('SELECT 1 FROM pg_stat_activity WHERE query = $1', [`listen "${channel!.name}"`]);
      expect(listening).toHaveLength(1);
      await append(store);
      await eventually(async () => count === 1, 'the wake-up');
    } finally {
      await stop();
      await store.close();
    }
  });

  it("frees a lock when its holder's connection dies", async () => {
    const schema = `es_test_${randomBytes(6).toString('hex')}`;
    const holder = await open(schema);
    const contender = (await openEventStore({ databaseUrl, schema, poolSize: 1, migrate: false })).store;
    try {
      expect(await holder.tryLock('projector-devices')).not.toBeNull();
      expect(await contender.tryLock('projector-devices')).toBeNull();
      // The key, as an operator finds it in pg_locks: (hashtext('licensing-ledger:lock:<schema>'), hashtext(name)).
      const [lock] = await admin.unsafe<{ pid: number }[]>(
        `SELECT pid FROM pg_locks
         WHERE locktype = 'advisory' AND objsubid = 2
           AND classid = (hashtext($1)::bigint & 4294967295)::oid AND objid = (hashtext($2)::bigint & 4294967295)::oid`,
        [`licensing-ledger:lock:${schema}`, 'projector-devices'],
      );
      expect(lock).toBeDefined();
      await admin.unsafe('SELECT pg_terminate_backend($1)', [lock!.pid]);
      const taken = await eventually(() => contender.tryLock('projector-devices'), 'the lock taken over');
      await taken.release();
    } finally {
      await contender.close();
      await holder.close();
    }
  });
});
