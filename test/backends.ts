import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { LedgerConfig } from '../apps/ledger/src/config/ledger.config';

/** A store configuration of its own for one test suite, and how to throw it away. */
export interface TestBackend {
  name: string;
  store(): { config: LedgerConfig['store']; dispose(): Promise<void> };
}

const pglite: TestBackend = {
  name: 'PGlite',
  store() {
    const dataDir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
    return { config: { dataDir, schema: 'public', poolSize: 1 }, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

const databaseUrl = process.env['DATABASE_URL'];
const postgresql: TestBackend = {
  name: 'PostgreSQL',
  store() {
    const schema = `e2e_${randomBytes(6).toString('hex')}`;
    return {
      config: { databaseUrl: databaseUrl!, dataDir: '/nonexistent', schema, poolSize: 4 },
      dispose: async () => {
        const admin = postgres(databaseUrl!, { max: 1, onnotice: () => undefined });
        await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      },
    };
  },
};

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI sets it). */
export const BACKENDS: TestBackend[] = databaseUrl ? [pglite, postgresql] : [pglite];
