import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError } from './errors';
import { eventStoreContract } from './event-store.contract';
import { migrate } from './migrate';
import { openDatabase, openEventStore } from './open-event-store';
import { SqlEventStore } from './sql-event-store';

// PGlite is one connection: every store gets its own in-memory database, and
// "another connection" to it can only be that same database.
eventStoreContract('PGlite', {
  concurrentConnections: false,
  open: async ({ now } = {}) => {
    const db = await openDatabase({});
    await migrate(db);
    const store = new SqlEventStore(db, now ? { now } : {});
    return {
      store,
      schema: 'public',
      openDatabase: async () => ({ ...db, close: async () => undefined }),
      dispose: () => store.close(),
    };
  },
});

describe('PGlite: notifyAppends in the config', () => {
  it('is passed to the store: on by default, off when told', async () => {
    for (const [notifyAppends, expected] of [[undefined, 1], [false, 0]] as const) {
      const { store } = await openEventStore(notifyAppends === undefined ? {} : { notifyAppends });
      try {
        let count = 0;
        const stop = await store.watchFeed(() => count++);
        await store.appendToStream(`license-${randomUUID()}`, 'no_stream', [{ type: 'LicenseIssued', data: {} }]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await stop();
        expect(count).toBe(expected);
      } finally {
        await store.close();
      }
    }
  });
});

describe('PGlite data folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-pglite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('persists events across a close and a reopen', async () => {
    const id = `license-${randomUUID()}`;
    const first = await openEventStore({ dataDir: dir });
    await first.store.appendToStream(id, 'no_stream', [{ type: 'LicenseIssued', data: { seats: 5 } }]);
    await first.store.close();

    const second = await openEventStore({ dataDir: dir });
    try {
      expect(second.migration?.applied).toEqual([]);
      expect((await second.store.readStream(id)).events.map((e) => e.data)).toEqual([{ seats: 5 }]);
      expect((await second.store.verify()).ok).toBe(true);
    } finally {
      await second.store.close();
    }
  });

  it('refuses a second opening of a folder in use, and takes over a lock left by a dead process', async () => {
    const { store } = await openEventStore({ dataDir: dir });
    try {
      const error = await openDatabase({ dataDir: dir }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect(error).toMatchObject({ code: 'DATA_DIR_LOCKED', pid: process.pid });
    } finally {
      await store.close();
    }
    writeFileSync(join(dir, 'ledger.lock'), '2147483646'); // no such process
    const reopened = await openEventStore({ dataDir: dir });
    await reopened.store.close();
  });
});
