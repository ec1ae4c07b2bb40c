/**
 * GET /metrics and GET /v1/projections after a few commands, on each backend.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { DEFAULT_VENDOR } from '../apps/ledger/src/config/ledger.config';
import { startTestLedger, type TestLedger } from './app';
import { BACKENDS } from './backends';

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe.each(BACKENDS)('metrics and projections on $name', (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger(backend);
  });
  afterAll(() => ledger?.close());

  const openPartner = (name: string) =>
    ledger
      .http()
      .post('/v1/accounts')
      .send({ kind: 'partner', name, parentId: DEFAULT_VENDOR.accountId, emails: [`${name}@example.com`] });

  it('counts commands by type and outcome, and reports feed head and projector lag', async () => {
    const opened = await openPartner(`p-${randomBytes(4).toString('hex')}`).expect(201);
    const refused = await ledger
      .http()
      .post('/v1/accounts')
      .send({ kind: 'customer', name: 'orphan', parentId: randomUUID(), emails: ['o@example.com'] });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const code = refused.body.code as string;

    // Wait for the read models to reach the command, then the lag is zero.
    await ledger.http().get(`/v1/projections`).expect(200);
    const deadline = Date.now() + 30_000;
    let projections: { feedHead: number; projections: { projector: string; position: number; lagEvents: number; lagSeconds: number }[] };
    for (;;) {
      projections = (await ledger.http().get('/v1/projections').expect(200)).body;
      if (projections.projections.every((p) => p.lagEvents === 0)) break;
      if (Date.now() > deadline) throw new Error(`projectors did not catch up: ${JSON.stringify(projections)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(projections.projections.map((p) => p.projector)).toEqual(['accounts', 'catalog', 'licenses', 'devices', 'deployments']);
    expect(projections.feedHead).toBeGreaterThanOrEqual(opened.body.position);
    for (const p of projections.projections) expect(p.lagSeconds).toBe(0);
    expect(projections.projections.find((p) => p.projector === 'accounts')!.position).toBeGreaterThanOrEqual(opened.body.position);

    // Public: Prometheus scrapes without credentials.
    const scrape = await request(ledger.app.getHttpServer()).get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain/);
    const text = scrape.text;
    expect(sample(text, 'ledger_commands_total', { command: 'OpenAccount', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'ledger_commands_total', { command: 'OpenAccount', outcome: 'refused', code })).toBe(1);
    expect(sample(text, 'ledger_command_duration_seconds_count', { command: 'OpenAccount', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'ledger_appends_total', { command: 'OpenAccount' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'ledger_feed_head_position')).toBeGreaterThanOrEqual(opened.body.position);
    expect(sample(text, 'ledger_projector_lag_events', { projector: 'licenses' })).toBe(0);
    expect(sample(text, 'ledger_projector_position', { projector: 'accounts' })).toBeGreaterThanOrEqual(opened.body.position);
    expect(sample(text, 'ledger_projected_events_total', { projector: 'accounts' })).toBeGreaterThanOrEqual(1);
  });
});

describe('access refusals', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger(BACKENDS[0]!);
  });
  afterAll(() => ledger?.close());

  it('counts what the access guard refused, by status and code, for operators to watch', async () => {
    const server = ledger.app.getHttpServer();
    await request(server).get(`/v1/accounts/${DEFAULT_VENDOR.accountId}`).expect(401);
    await request(server).get(`/v1/accounts/${DEFAULT_VENDOR.accountId}`).set('Authorization', `Bearer ldg_000000000000_${'A'.repeat(43)}`).expect(401);
    const partner = (await ledger.http().post('/v1/accounts').send({ kind: 'partner', name: 'P', parentId: DEFAULT_VENDOR.accountId, emails: ['p@example.com'] })).body.accountId;
    const key = (await ledger.http().post('/v1/api-keys').send({ accountId: partner, role: 'dashboard', name: 'dash' })).body.key;
    await ledger.http(key).get(`/v1/accounts/${DEFAULT_VENDOR.accountId}`).expect(404);
    await ledger.http(key).post('/v1/devices').send({ ownerId: partner, serial: 'S', model: 'M', channels: 0 }).expect(403);
    const text = (await request(server).get('/metrics').expect(200)).text;
    expect(sample(text, 'ledger_access_refusals_total', { status: '401', code: 'CREDENTIALS_REQUIRED' })).toBe(1);
    expect(sample(text, 'ledger_access_refusals_total', { status: '401', code: 'CREDENTIALS_INVALID' })).toBe(1);
    expect(sample(text, 'ledger_access_refusals_total', { status: '404', code: 'ACCOUNT_NOT_FOUND' })).toBe(1);
    expect(sample(text, 'ledger_access_refusals_total', { status: '403', code: 'FORBIDDEN' })).toBe(1);
  });
});

describe.each(BACKENDS)('with LEDGER_PROJECTORS=off on $name', (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger(backend, { projectors: false, readWaitTimeoutMs: 200 });
  });
  afterAll(() => ledger?.close());

  it('serves the (empty) read models, reports the lag, and answers minPosition with 503', async () => {
    const http = () => ledger.http();
    const opened = await http()
      .post('/v1/accounts')
      .send({ kind: 'partner', name: 'Nobody Projects Me', parentId: DEFAULT_VENDOR.accountId, emails: ['n@example.com'] })
      .expect(201);
    // The tables exist (nobody fills them here): a query answers, it does not fail.
    await http().get(`/v1/accounts/${opened.body.accountId}`).expect(404);
    const status = (await http().get('/v1/projections').expect(200)).body;
    const accounts = status.projections.find((p: { projector: string }) => p.projector === 'accounts');
    expect(accounts).toMatchObject({ position: 0, generation: 1 });
    expect(accounts.lagEvents).toBeGreaterThanOrEqual(2);
    const behind = await http().get(`/v1/accounts/${opened.body.accountId}?minPosition=${opened.body.position}`).expect(503);
    expect(behind.headers['retry-after']).toBe('1');
    expect(behind.body).toMatchObject({ code: 'READ_MODELS_BEHIND', details: { minPosition: opened.body.position, positions: { accounts: 0 } } });
  });
});
