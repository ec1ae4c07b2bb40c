import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type EventStore, openEventStore } from '@ledger/event-store';

export interface StoreBackend {
  name: string;
  /** A store of its own (a fresh PGlite, or a fresh schema); `second` opens another pool on the same schema, as another process would. */
  open(): Promise<{ store: EventStore; second(): Promise<EventStore>; dispose(): Promise<void> }>;
}

const databaseUrl = process.env['DATABASE_URL'];

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI sets it). */
export const STORE_BACKENDS: StoreBackend[] = [
  {
    name: 'PGlite',
    open: async () => {
      const { store } = await openEventStore({});
      return {
        store,
        second: async () => {
          throw new Error('PGlite is one process: no second pool');
        },
        dispose: () => store.close(),
      };
    },
  },
  ...(databaseUrl
    ? [
        {
          name: 'PostgreSQL',
          open: async () => {
            const schema = `rm_test_${randomBytes(6).toString('hex')}`;
            const { store } = await openEventStore({ databaseUrl, schema, poolSize: 4 });
            const others: EventStore[] = [];
            return {
              store,
              second: async () => {
                const { store: other } = await openEventStore({ databaseUrl, schema, poolSize: 2 });
                others.push(other);
                return other;
              },
              dispose: async () => {
                await Promise.all([store, ...others].map((s) => s.close().catch(() => undefined)));
                const admin = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
                await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
                await admin.end();
              },
            };
          },
        },
      ]
    : []),
];
