import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { eventStoreContract } from './event-store.contract';
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
