/**
 * The built projector process (dist/apps/projector/src/main.js, what
 * `npm run projector` runs) on PostgreSQL: killed mid-way and started again,
 * its read models end identical to a rebuild; SIGTERM stops it cleanly.
 * PostgreSQL only (the file name keeps it out of runs without DATABASE_URL).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import postgres from 'postgres';
import { type EventStore, type NewEvent, openEventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, type ProjectionStatus, projectionStatus, verifyReadModel } from '@ledger/read-models';
import { type Running, startJsonLogging } from './child-process';

const MAIN = resolve(__dirname, '../dist/apps/projector/src/main.js');
const databaseUrl = process.env['DATABASE_URL']!;
const ACCOUNTS = 3_000;

function startProjector(env: Record<string, string>): Running {
  return startJsonLogging(MAIN, env);
}

async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = 60_000, every = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await check().catch(() => null);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

describe('the projector process on PostgreSQL', () => {
  const schema = `proj_${randomBytes(6).toString('hex')}`;
  let store: EventStore;
  const children: ChildProcess[] = [];
  // No LEDGER_SECRET (nor LEDGER_ADMIN_KEY): the projector checks no credentials, so DATABASE_URL alone must do (loadConfig's checksCredentials: false).
  const env = { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, DATABASE_POOL_SIZE: '4', PROJECTOR_BATCH_SIZE: '20', PROJECTOR_POLL_MS: '100', LOG_LEVEL: 'info' };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
    ({ store } = await openEventStore({ databaseUrl, schema, poolSize: 4 }));
    const at = '2026-03-01T10:00:00.000Z';
    const opened = (accountId: string, i: number): NewEvent => ({
      type: 'AccountOpened',
      data: { accountId, kind: 'customer', name: `Customer ${i}`, parentId: null, emails: [`c${i}@example.com`], openedAt: at },
    });
    for (let from = 0; from < ACCOUNTS; from += 250) {
      await store.append(
        Array.from({ length: 250 }, (_, j) => {
          const id = randomUUID();
          return { streamId: `account-${id}`, expectedVersion: 'no_stream' as const, events: [opened(id, from + j)] };
        }),
        { actor: 'projector-e2e' },
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await store?.close();
    const admin = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    for (const m of LEDGER_READ_MODELS) await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema}_v_${m.name} CASCADE`);
    await admin.end();
  });

  it('refuses to start without DATABASE_URL (PGlite is single-process), with a JSON reason', async () => {
    const refused = startProjector({ LEDGER_DATA_DIR: '/nonexistent' });
    children.push(refused.child);
    expect(await refused.exited).toBe(1);
    expect(refused.lines).toContainEqual(expect.objectContaining({ level: 60, code: 'DATABASE_URL_REQUIRED', error: expect.stringContaining('DATABASE_URL') }));
  });

  it('killed mid-batch and started again, ends identical to a rebuild; SIGTERM exits 0', async () => {
    const first = startProjector(env);
    children.push(first.child);
    // Mid-way: some events applied, more waiting.
    const midway = await waitFor<ProjectionStatus[]>(
      'the projectors to be part-way',
      async () => {
        const status = await projectionStatus(store, LEDGER_READ_MODELS);
        return status.some((s) => s.projector === 'accounts' && s.position > 0 && s.lagEvents > 0) ? status : null;
      },
      60_000,
      5,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const accountsAtKill = midway.find((s) => s.projector === 'accounts')!;
    expect(accountsAtKill.lagEvents).toBeGreaterThan(0);
    const afterKill = (await projectionStatus(store, LEDGER_READ_MODELS)).find((s) => s.projector === 'accounts')!;
    expect(afterKill.lagEvents).toBeGreaterThan(0);
    expect(first.lines).toContainEqual(expect.objectContaining({ msg: 'projector running' }));

    // Started again, with its metrics served (a port the system picks).
    const second = startProjector({ ...env, PROJECTOR_METRICS_PORT: '0', HOST: '127.0.0.1' });
    children.push(second.child);
    await waitFor(
      'every projector to catch up',
      async () => {
        const status = await projectionStatus(store, LEDGER_READ_MODELS);
        return status.every((s) => s.generation !== null && s.lagEvents === 0);
      },
      90_000,
      100,
    );
    const listening = second.lines.find((l) => l['msg'] === 'metrics listening');
    const scrape = await fetch(`http://127.0.0.1:${String(listening?.['port'])}/metrics`);
    expect(scrape.status).toBe(200);
    const applied = /^ledger_projected_events_total\{projector="accounts"\} (\d+)$/m.exec(await scrape.text());
    expect(Number(applied?.[1])).toBe(afterKill.lagEvents);
    const rows = await store.sql.query<{ n: string }>('SELECT count(*) AS n FROM rm_accounts');
    expect(Number(rows[0]!.n)).toBe(ACCOUNTS);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.lines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['projector running', 'shutting down', 'stopped']));

    for (const model of LEDGER_READ_MODELS) {
      const report = await verifyReadModel(store, model, { scratchSchema: `${schema}_v_${model.name}` });
      expect({ projector: model.name, ok: report.ok, problem: report.problem }).toEqual({ projector: model.name, ok: true, problem: undefined });
    }
  }, 180_000);
});
