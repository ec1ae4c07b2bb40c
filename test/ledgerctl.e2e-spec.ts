/**
 * The built ledgerctl (`node dist/apps/ledgerctl/src/main.js`, what
 * `npm run ledgerctl` runs) against a ledger's store: a PGlite folder (the
 * ledger closed first: one process per folder) and, with DATABASE_URL, a
 * PostgreSQL schema. Verify, export, replay, rebuild, and edits by hand that
 * verify must find.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { type EventStore, openEventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, readModelsReached } from '@ledger/read-models';
import { DEFAULT_VENDOR, type LedgerConfig } from '../apps/ledger/src/config/ledger.config';
import { startTestLedger, type TestLedger } from './app';
import { runToEnd } from './child-process';

const CLI = resolve(__dirname, '../dist/apps/ledgerctl/src/main.js');
const VENDOR = DEFAULT_VENDOR.accountId;
const databaseUrl = process.env['DATABASE_URL'];
const sfx = () => randomBytes(5).toString('hex');

interface Target {
  name: string;
  config: LedgerConfig['store'];
  /** The environment ledgerctl gets for this store. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

function pgliteTarget(): Target {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgerctl-e2e-'));
  return { name: 'PGlite', config: { dataDir, schema: 'public', poolSize: 1 }, env: { LEDGER_DATA_DIR: dataDir }, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

function postgresTarget(): Target {
  const schema = `ctl_${randomBytes(6).toString('hex')}`;
  return {
    name: 'PostgreSQL',
    config: { databaseUrl: databaseUrl!, dataDir: '/nonexistent', schema, poolSize: 4 },
    env: { DATABASE_URL: databaseUrl!, DATABASE_SCHEMA: schema },
    dispose: async () => {
      const admin = postgres(databaseUrl!, { max: 1, onnotice: () => undefined });
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema}_verify_licenses CASCADE`);
      await admin.end();
    },
  };
}

const TARGETS = [{ name: 'PGlite', make: pgliteTarget }, ...(databaseUrl ? [{ name: 'PostgreSQL', make: postgresTarget }] : [])];

const ledgerctl = (env: Record<string, string>, ...args: string[]) => runToEnd(CLI, env, args);

describe.each(TARGETS)('ledgerctl on $name', ({ make }) => {
  let target: Target;
  let ledger: TestLedger | undefined;
  let events = 0;
  let lineage: { partner: string; customer: string; original: string; successor: string; issuedAt: number };

  /** The store, opened by the test while no ledger and no ledgerctl hold it. */
  async function withStore(fn: (store: EventStore) => Promise<void>): Promise<void> {
    const { store } = await openEventStore({
      ...(target.config.databaseUrl ? { databaseUrl: target.config.databaseUrl, poolSize: 2 } : { dataDir: target.config.dataDir }),
      schema: target.config.schema,
    });
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  const run = (...args: string[]) => ledgerctl(target.env, ...args);

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    target = make();
    // The store outlives the app: ledgerctl runs on it after the ledger closed.
    ledger = await startTestLedger({ name: target.name, store: () => ({ config: target.config, dispose: async () => undefined }) });
    // As the ledger's bootstrap admin (its actor is key:<admin key id>).
    const ok = async (path: string, body: object) => {
      const res = await ledger!.http().post(path).send(body);
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const partner = (await ok('/v1/accounts', { kind: 'partner', name: `Partner ${sfx()}`, parentId: VENDOR })).accountId;
    const customer = (await ok('/v1/accounts', { kind: 'customer', name: `Customer ${sfx()}`, parentId: partner })).accountId;
    const modelCode = `PRO-${sfx()}`;
    await ok('/v1/license-models', { code: modelCode, name: 'Pro', bindsTo: 'device', category: 'pro', termDays: 365 });
    const poNumber = `PO-${sfx()}`;
    await ok('/v1/purchase-orders', { poNumber, buyerId: partner, deliveryEmails: ['po@example.com'], lines: [{ modelCode, quantity: 3 }] });
    const { keys } = await ok(`/v1/purchase-orders/${poNumber}/fulfilment`, {});
    const claim = await ok(`/v1/keys/${keys[0].keyCode}/claim`, { accountId: partner });
    const original: string = claim.licenseIds[0];
    const issuedAt = (await ledger.store.readStream(`license-${original}`)).events[0]!.globalPosition;
    const sale = await ok(`/v1/accounts/${partner}/sales`, { buyerId: customer, lines: [{ licenseId: original }] });
    lineage = { partner, customer, original, successor: sale.licenseIds[0], issuedAt };
    const deadline = Date.now() + 20_000;
    while (!(await readModelsReached(ledger.store, LEDGER_READ_MODELS, sale.position))) {
      if (Date.now() > deadline) throw new Error('the read models did not catch up');
      await new Promise((r) => setTimeout(r, 50));
    }
    events = (await ledger.store.readFeed({ limit: 10_000 })).events.length;
    if (target.name === 'PGlite') {
      // While the ledger holds the folder, ledgerctl is refused and says why.
      const locked = await run('verify');
      expect(locked.code).toBe(3);
      expect(locked.stderr).toContain('DATA_DIR_LOCKED');
      expect(locked.stderr).toContain('one process only');
    }
    await ledger.close();
    ledger = undefined;
  }, 120_000);

  afterAll(async () => {
    await ledger?.close().catch(() => undefined);
    await target?.dispose();
  });

  it('--help, no command and an unknown command print usage and exit 2', async () => {
    for (const args of [['--help'], [], ['frobnicate'], ['rebuild', 'nosuch'], ['export', '--after', 'x.y']]) {
      const r = await run(...args);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toContain('Usage: ledgerctl');
    }
  });

  it('migrate reports nothing left to apply on a migrated store', async () => {
    const r = await run('migrate');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('event store: applied []');
    expect(r.stdout).toMatch(/read-models: applied \[\], version \d+/);
  });

  it('verify exits 0 on a clean ledger, with a table of checks and progress on stderr', async () => {
    const r = await run('verify');
    expect(r.stderr).toContain('verify hash chains:');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/event store hash chains\s+ok/);
    expect(r.stdout).toMatch(/read model licenses: rm_licenses\s+ok/);
    expect(r.stdout).toContain('verify: everything matches');
  });

  it('export prints one JSON line per event in feed order, and resumes after a checkpoint', async () => {
    const r = await run('export');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(events);
    expect(new Set(lines.map((l) => l.eventId)).size).toBe(events);
    expect(lines[0]).toMatchObject({ checkpoint: expect.stringMatching(/^\d+\.\d+\.\d+$/), streamId: expect.any(String), type: expect.any(String), metadata: expect.any(Object) });
    const rest = await run('export', '--after', lines[4].checkpoint);
    expect(rest.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).eventId)).toEqual(lines.slice(5).map((l) => l.eventId));
    const file = join(tmpdir(), `ledgerctl-export-${sfx()}.ndjson`);
    try {
      expect((await run('export', '--output', file)).code).toBe(0);
      expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(events);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('replay --stream prints the events and the folded state, also as of a past position', async () => {
    const now = await run('replay', '--stream', `license-${lineage.original}`);
    expect(now.code).toBe(0);
    const replayed = JSON.parse(now.stdout);
    expect(replayed.events.map((e: { type: string }) => e.type)).toEqual(['LicenseIssued', 'LicenseSuperseded']);
    expect(replayed.state).toMatchObject({ exists: true, licenseId: lineage.original, ownerId: lineage.partner, status: 'superseded', successor: { licenseId: lineage.successor } });
    const then = JSON.parse((await run('replay', '--stream', `license-${lineage.original}`, '--as-of', String(lineage.issuedAt))).stdout);
    expect(then).toMatchObject({ version: 1, asOf: { position: lineage.issuedAt }, state: { status: 'available', successor: null } });
    const byInstant = JSON.parse((await run('replay', '--stream', `license-${lineage.successor}`, '--as-of', '2000-01-01T00:00:00Z')).stdout);
    expect(byInstant).toMatchObject({ version: 0, state: { exists: false } });
    expect((await run('replay', '--stream', `license-${lineage.original}`, '--as-of', 'yesterday')).code).toBe(2);
  });

  it('verify names the read-model table and key changed by hand; rebuild licenses puts it right', async () => {
    await withStore(async (store) => {
      const [live] = await store.sql.query<{ generation: number }>("SELECT generation FROM read_model_generations WHERE projector = 'licenses' AND status = 'live'");
      await store.sql.query(`UPDATE rm_licenses_g${live!.generation} SET owner_id = $2 WHERE license_id = $1`, [lineage.successor, lineage.partner]);
    });
    const differs = await run('verify');
    expect(differs.code).toBe(1);
    expect(differs.stdout).toMatch(/read model licenses: rm_licenses\s+DIFFERS/);
    expect(differs.stdout).toContain(lineage.successor);
    expect(differs.stdout).toContain('verify: DIFFERENCES FOUND');

    const rebuilt = await run('rebuild', 'licenses');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/rebuilt licenses: generation \d+ replaced \d+/);
    expect(rebuilt.stderr).toContain('rebuild licenses');
    const clean = await run('verify');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('verify: everything matches');
  });

  it('verify names the stream of an event edited by hand (as the superuser, past the immutability trigger)', async () => {
    await withStore(async (store) => {
      await store.transaction(async (tx) => {
        await tx.sql.query('ALTER TABLE ledger_events DISABLE TRIGGER ledger_events_immutable');
        await tx.sql.query(`UPDATE ledger_events SET data = jsonb_set(data, '{ownerId}', to_jsonb($2::text)) WHERE stream_id = $1 AND stream_position = 1`, [
          `license-${lineage.successor}`,
          lineage.partner,
        ]);
        await tx.sql.query('ALTER TABLE ledger_events ENABLE TRIGGER ledger_events_immutable');
      });
    });
    const r = await run('verify');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/event store hash chains\s+DIFFERS/);
    expect(r.stdout).toMatch(new RegExp(`license-${lineage.successor}\\s+1\\s+hash_mismatch`));
  });
});
