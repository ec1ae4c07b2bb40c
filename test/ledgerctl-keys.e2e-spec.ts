/**
 * `ledgerctl keys` (the built dist, as `npm run ledgerctl` runs it) against a
 * ledger's store: PGlite always, PostgreSQL with DATABASE_URL. ledgerctl runs
 * only while no ledger holds the store (a PGlite folder admits one process);
 * a fresh test ledger on the same store then shows what the keys are worth.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LEDGER_READ_MODELS, readModelsReached } from '@ledger/read-models';
import { DEFAULT_VENDOR, type LedgerConfig } from '../apps/ledger/src/config/ledger.config';
import { TEST_SECRET, type TestLedger, startTestLedger } from './app';
import { BACKENDS, type TestBackend } from './backends';
import { runToEnd } from './child-process';

const CLI = resolve(__dirname, '../dist/apps/ledgerctl/src/main.js');
const KEY = /^ldg_([0-9a-hjkmnp-tv-z]{12})_([A-Za-z0-9_-]{43})$/;

const ledgerctl = (env: Record<string, string>, ...args: string[]) => runToEnd(CLI, env, args);

describe.each(BACKENDS)('ledgerctl keys on $name', (backend) => {
  let config: LedgerConfig['store'];
  let dispose: () => Promise<void>;
  let ledger: TestLedger | undefined;
  let partner: string;
  let created: { keyId: string; prefix: string; key: string; accountId: string; role: string; name: string; expiresAt: string | null };

  /** The store's settings as ledgerctl reads them, without LEDGER_SECRET. */
  const storeEnv = (): Record<string, string> =>
    config.databaseUrl ? { DATABASE_URL: config.databaseUrl, DATABASE_SCHEMA: config.schema } : { LEDGER_DATA_DIR: config.dataDir };
  /** With the test ledgers' secret: the digests ledgerctl writes are the ones they check. */
  const run = (...args: string[]) => ledgerctl({ ...storeEnv(), LEDGER_SECRET: TEST_SECRET }, ...args);

  /** A test ledger on this suite's store (which outlives it), closed again after fn: ledgerctl needs the store to itself on PGlite. */
  async function withLedger<T>(fn: (ledger: TestLedger) => Promise<T>): Promise<T> {
    const sameStore: TestBackend = { name: backend.name, store: () => ({ config, dispose: async () => undefined }) };
    ledger = await startTestLedger(sameStore);
    try {
      return await fn(ledger);
    } finally {
      await ledger.close();
      ledger = undefined;
    }
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    ({ config, dispose } = backend.store());
    partner = await withLedger(async (l) => {
      const res = await l
        .http()
        .post('/v1/accounts')
        .send({ kind: 'partner', name: `Partner ${Date.now()}`, parentId: DEFAULT_VENDOR.accountId, emails: ['a@example.com'] });
      if (res.status !== 201) throw new Error(`POST /v1/accounts: ${res.status} ${JSON.stringify(res.body)}`);
      // The account is read from the read models: they must hold it before this ledger closes.
      const deadline = Date.now() + 20_000;
      while (!(await readModelsReached(l.store, LEDGER_READ_MODELS, res.body.position))) {
        if (Date.now() > deadline) throw new Error('the read models did not catch up');
        await new Promise((r) => setTimeout(r, 50));
      }
      return res.body.accountId as string;
    });
  }, 120_000);

  afterAll(async () => {
    await ledger?.close().catch(() => undefined);
    await dispose?.();
  });

  it('keys create records a partner key and prints it once; a ledger on the store accepts it', async () => {
    const r = await run('keys', 'create', '--account', partner, '--role', 'partner', '--name', 'partner portal');
    expect(r.stderr).not.toContain('"error"');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    created = JSON.parse(lines[0]!);
    expect(Object.keys(created).sort()).toEqual(['accountId', 'expiresAt', 'key', 'keyId', 'name', 'prefix', 'role']);
    expect(created).toMatchObject({ accountId: partner, role: 'partner', name: 'partner portal', expiresAt: null, prefix: `ldg_${created.keyId}` });
    expect(KEY.exec(created.key)?.[1]).toBe(created.keyId);
    expect(r.stderr).toContain('shown this once only');
    expect(r.stderr).not.toContain(created.key);

    await withLedger(async (l) => {
      const res = await l.http(created.key).get(`/v1/accounts/${partner}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accountId: partner, kind: 'partner' });
      // Recorded through the one write path: an event on the key's stream, by the operator.
      const { events } = await l.store.readStream(`apikey-${created.keyId}`);
      expect(events.map((e) => e.type)).toEqual(['ApiKeyCreated']);
      expect(events[0]!.metadata).toMatchObject({ actor: expect.stringMatching(/^ledgerctl:.+/) });
      expect(JSON.stringify(events[0]!.data)).not.toContain(KEY.exec(created.key)![2]);
    });
  }, 60_000);

  it('keys create --quiet prints the key line alone', async () => {
    const ok = await run('keys', 'create', '--account', partner, '--role', 'dashboard', '--name', 'wall display', '--expires', '2999-01-01T00:00:00Z', '-q');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ldg_[0-9a-hjkmnp-tv-z]{12}_[A-Za-z0-9_-]{43}\n$/);
    expect(ok.stderr).toBe('');
  });

  it('keys list --account prints the account\'s keys as NDJSON, never a secret or a digest', async () => {
    const r = await run('keys', 'list', '--account', partner);
    expect(r.code).toBe(0);
    const records = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(2);
    const mine = records.find((k) => k.keyId === created.keyId);
    expect(mine).toMatchObject({ keyId: created.keyId, prefix: created.prefix, accountId: partner, role: 'partner', name: 'partner portal', revokedAt: null, expiresAt: null });
    expect(mine.createdBy).toMatch(/^ledgerctl:/);
    expect(records.find((k) => k.keyId !== created.keyId)).toMatchObject({ role: 'dashboard', expiresAt: '2999-01-01T00:00:00.000Z' });
    for (const k of records) expect(k).not.toHaveProperty('digest');
    expect(r.stdout).not.toContain(KEY.exec(created.key)![2]);
    expect(r.stdout).not.toContain(created.key);

    // Every account's keys (the test ledgers' admin keys too), and --limit.
    const all = await run('keys', 'list');
    expect(all.code).toBe(0);
    const everyKey = all.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(everyKey.length).toBeGreaterThan(2);
    expect(everyKey.map((k) => k.keyId)).toEqual([...everyKey.map((k) => k.keyId)].sort());
    const one = await run('keys', 'list', '--limit', '1');
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(1);
    // list needs no secret.
    expect((await ledgerctl(storeEnv(), 'keys', 'list', '--account', partner)).code).toBe(0);
  });

  it('keys revoke: the key is refused on the next request', async () => {
    const r = await run('keys', 'revoke', created.keyId, '--reason', 'rotated');
    expect(r.code).toBe(0);
    const revoked = JSON.parse(r.stdout);
    expect(revoked).toEqual({ keyId: created.keyId, revokedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    // Again (here by its prefix, without a secret): the first revocation stands.
    const again = await ledgerctl(storeEnv(), 'keys', 'revoke', created.prefix);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(revoked);

    await withLedger(async (l) => {
      const res = await l.http(created.key).get(`/v1/accounts/${partner}`);
      expect(res.status).toBe(401);
    });
    const listed = JSON.parse((await run('keys', 'list', '--account', partner)).stdout.split('\n').find((l) => l.includes(created.keyId))!);
    expect(listed.revokedAt).toBe(revoked.revokedAt);
  }, 60_000);

  it('keys revoke of an unknown key exits 3 with API_KEY_NOT_FOUND', async () => {
    const r = await run('keys', 'revoke', 'abcdefghjkmn');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr.trim())).toEqual({ error: 'API_KEY_NOT_FOUND', message: expect.any(String) });
    expect(r.stdout).toBe('');
  });

  it('refusals of the ledger exit 3 with {"error", "message"} on stderr, and print no key', async () => {
    const admin = await run('keys', 'create', '--account', partner, '--role', 'admin', '--name', 'nope');
    expect(admin.code).toBe(3);
    expect(JSON.parse(admin.stderr.trim())).toEqual({ error: 'ROLE_NOT_FOR_ACCOUNT', message: expect.stringContaining('vendor') });
    expect(admin.stdout).toBe('');
    const device = await run('keys', 'create', '--account', partner, '--role', 'device', '--name', 'no device');
    expect(device.code).toBe(3);
    expect(JSON.parse(device.stderr.trim())).toMatchObject({ error: 'INVALID_COMMAND' });
    const past = await run('keys', 'create', '--account', partner, '--role', 'partner', '--name', 'late', '--expires', '2001-01-01T00:00:00Z');
    expect(past.code).toBe(3);
    expect(JSON.parse(past.stderr.trim())).toMatchObject({ error: 'INVALID_COMMAND' });
    const nobody = await run('keys', 'create', '--account', '0190c1d2-0000-7000-8000-00000000abcd', '--role', 'partner', '--name', 'ghost');
    expect(nobody.code).toBe(3);
    expect(JSON.parse(nobody.stderr.trim())).toMatchObject({ error: 'ACCOUNT_NOT_FOUND' });
  });

  it('usage errors of ledgerctl\'s own flags exit 2', async () => {
    for (const args of [
      ['keys', 'create', '--account', partner, '--name', 'no role'],
      ['keys', 'create', '--account', partner, '--role', 'overlord', '--name', 'x'],
      ['keys', 'create', '--role', 'partner', '--name', 'no account'],
      ['keys', 'create', '--account', 'not-a-uuid', '--role', 'partner', '--name', 'x'],
      ['keys', 'create', '--account', partner, '--role', 'partner', '--name', 'x', '--expires', 'tomorrow'],
      ['keys', 'list', '--limit', '0'],
      ['keys', 'revoke'],
      ['keys', 'revoke', 'not-a-key-id'],
      ['keys', 'frobnicate'],
      ['keys'],
    ]) {
      const r = await run(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stdout + r.stderr).toContain('Usage: ledgerctl');
    }
    // A whole key given to revoke is refused without being echoed.
    const whole = await run('keys', 'revoke', created.key);
    expect(whole.code).toBe(2);
    expect(whole.stderr).not.toContain(created.key);
  });

  it('keys generate prints a fresh well-formed key and touches no store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerctl-generate-'));
    try {
      const env = { LEDGER_DATA_DIR: join(dir, 'data'), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
      const [a, b] = await Promise.all([ledgerctl(env, 'keys', 'generate'), ledgerctl(env, 'keys', 'generate')]);
      for (const r of [a!, b!]) {
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^ldg_[0-9a-hjkmnp-tv-z]{12}_[A-Za-z0-9_-]{43}\n$/);
      }
      expect(a!.stdout).not.toBe(b!.stdout);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys create needs LEDGER_SECRET with DATABASE_URL (exit 2), and one of 32 characters or more', async () => {
    const url = config.databaseUrl ?? 'postgres://nobody@127.0.0.1:1/none';
    const env = { DATABASE_URL: url, DATABASE_SCHEMA: config.schema };
    const missing = await ledgerctl(env, 'keys', 'create', '--account', partner, '--role', 'partner', '--name', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('DATABASE_URL needs LEDGER_SECRET');
    expect(missing.stdout).not.toMatch(/ldg_/);
    const short = await ledgerctl({ ...storeEnv(), LEDGER_SECRET: 'too-short' }, 'keys', 'create', '--account', partner, '--role', 'partner', '--name', 'x');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('LEDGER_SECRET must be at least 32 characters');
  });

  if (backend.name === 'PGlite')
    it('on PGlite without LEDGER_SECRET, a store whose keys were digested with LEDGER_SECRET (no secret file) is refused with exit 2', async () => {
      // The test ledgers run with auth.secret and keep no ledger-secret file in the data folder.
      expect(existsSync(join(config.dataDir, 'ledger-secret'))).toBe(false);
      const r = await ledgerctl(storeEnv(), 'keys', 'create', '--account', partner, '--role', 'partner', '--name', 'x');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('set it for ledgerctl too');
      expect(existsSync(join(config.dataDir, 'ledger-secret'))).toBe(false);
    });
});
