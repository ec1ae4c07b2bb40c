import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent, RecordedEvent } from '@ledger/event-store';
import { applyEvents, migrateReadModels, placementOf, readGenerations } from './generations';
import { ProjectionRunner } from './projection-runner';
import { ACCOUNTS_TABLE, type AccountRow, accountsProjection } from './projections';
import type { ReadModel } from './read-model';
import { RebuildInProgressError, rebuildReadModel } from './rebuild';
import { projectionStatus, readModelsReached } from './status';
import { tableDigest } from './table-sql';
import { STORE_BACKENDS } from './testing/backends';
import { verifyReadModel } from './verify';

const at = '2026-03-01T10:00:00.000Z';
const opened = (accountId: string, name: string, parentId: string | null, kind = 'customer'): NewEvent => ({
  type: 'AccountOpened', data: { accountId, kind, name, parentId, emails: [`${name.toLowerCase()}@example.com`], openedAt: at },
});
const linked = (accountId: string, linkedAccountId: string): NewEvent => ({ type: 'AccountLinked', data: { accountId, linkedAccountId, linkedAt: at } });

async function waitUntil(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const accountRow = async (store: EventStore, id: string) =>
  (await store.sql.query<AccountRow>('SELECT * FROM rm_accounts WHERE account_id = $1', [id]))[0];

describe.each(STORE_BACKENDS)('projection runtime on $name', (backend) => {
  let store: EventStore;
  let second: () => Promise<EventStore>;
  let dispose: () => Promise<void>;
  let runner: ProjectionRunner;
  const models = [accountsProjection];

  beforeAll(async () => {
    ({ store, second, dispose } = await backend.open());
    runner = new ProjectionRunner(store, models, { batchSize: 50, pollMs: 200, log: (e) => e.level !== 'info' && console.error(e) });
    await runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
    await dispose?.();
  });

  async function partnerWithCustomer() {
    const partner = randomUUID();
    const customer = randomUUID();
    const appended = await store.append([
      { streamId: `account-${partner}`, expectedVersion: 'no_stream', events: [opened(partner, 'Acme Partner', null, 'partner'), linked(partner, customer)] },
      { streamId: `account-${customer}`, expectedVersion: 'no_stream', events: [opened(customer, 'Beta Customer', partner), linked(customer, partner)] },
    ]);
    await waitUntil(() => readModelsReached(store, models, appended.lastPosition!), 'the projection');
    return { partner, customer, position: appended.lastPosition! };
  }

  it('given accounts opened and linked, holds exactly their rows', async () => {
    const { partner, customer } = await partnerWithCustomer();
    const position = (await store.readStream(`account-${customer}`)).events.at(-1)!.globalPosition;
    expect({ ...(await accountRow(store, customer)), last_position: Number((await accountRow(store, customer))?.last_position) }).toEqual({
      account_id: customer, kind: 'customer', name: 'Beta Customer', name_key: 'beta customer', parent_id: partner,
      emails: ['beta customer@example.com'], linked: [partner], msp_portal_valid_until: null, opened_at: at,
      last_position: position,
    });
    expect((await accountRow(store, partner))?.linked).toEqual([customer]);
  });

  it('indexes account names for substring search with pg_trgm (loaded by PGlite, installed in public on PostgreSQL)', async () => {
    const [live] = (await readGenerations(store.sql, 'accounts')).filter((g) => g.status === 'live');
    const indexes = await store.sql.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [`rm_accounts_g${live!.generation}`]);
    expect(indexes.map((i) => i.indexdef)).toContainEqual(expect.stringMatching(/USING gin \(name_key (\w+\.)?gin_trgm_ops\)/));
  });

  it('the same events delivered twice change nothing', async () => {
    const { customer } = await partnerWithCustomer();
    const stream = await store.readStream(`account-${customer}`);
    const [live] = (await readGenerations(store.sql, 'accounts')).filter((g) => g.status === 'live');
    const before = await tableDigest(store.sql, ACCOUNTS_TABLE, placementOf(live!.generation));
    await store.transaction((s) => applyEvents(s.sql, accountsProjection, placementOf(live!.generation), stream.events));
    expect(await tableDigest(store.sql, ACCOUNTS_TABLE, placementOf(live!.generation))).toEqual(before);
    expect((await accountRow(store, customer))?.linked).toHaveLength(1);
  });

  it('reports position and no lag once caught up; a position not reached yet is not reached', async () => {
    const { position } = await partnerWithCustomer();
    const [status] = await projectionStatus(store, models);
    expect(status).toMatchObject({ projector: 'accounts', lagEvents: 0, lagSeconds: 0 });
    expect(status!.position).toBeGreaterThanOrEqual(position);
    expect(await readModelsReached(store, models, position)).toBe(true);
    // Beyond the head: no event there yet, so nothing to have applied, and still not reached.
    expect(await readModelsReached(store, models, position + 1_000)).toBe(false);
  });

  it('a batch that fails half-way writes nothing; restarted, the model ends identical to a rebuild', async () => {
    await runner.stop();
    const failing: ReadModel = {
      ...accountsProjection,
      apply(rows, event: RecordedEvent) {
        accountsProjection.apply(rows, event);
        if (event.data['name'] === 'Crash Here') throw new Error('killed mid-batch');
      },
    };
    const crashing = new ProjectionRunner(store, [failing], { batchSize: 50, pollMs: 50 });
    const before = await projectionStatus(store, models);
    const ids = Array.from({ length: 5 }, () => randomUUID());
    await store.append(ids.map((id, i) => ({ streamId: `account-${id}`, expectedVersion: 'no_stream' as const, events: [opened(id, i === 3 ? 'Crash Here' : `Customer ${i}`, null)] })));
    await crashing.start();
    await waitUntil(async () => (await crashing.status())[0]?.error === 'killed mid-batch', 'the crash');
    await crashing.stop();
    expect((await projectionStatus(store, models))[0]!.position).toBe(before[0]!.position);
    expect(await accountRow(store, ids[0]!)).toBeUndefined();

    runner = new ProjectionRunner(store, models, { batchSize: 50, pollMs: 200 });
    await runner.start();
    await waitUntil(async () => (await projectionStatus(store, models))[0]!.lagEvents === 0, 'catching up');
    expect(await accountRow(store, ids[4]!)).toBeDefined();
    const report = await verifyReadModel(store, accountsProjection, { batchSize: 7 });
    expect(report.ok).toBe(true);
    expect(report.tables[0]!.liveRows).toBe(report.tables[0]!.rebuiltRows);
  });

  it('verify finds a row changed by hand', async () => {
    const { customer } = await partnerWithCustomer();
    const [live] = (await readGenerations(store.sql, 'accounts')).filter((g) => g.status === 'live');
    await store.sql.query(`UPDATE rm_accounts_g${live!.generation} SET name = 'Tampered' WHERE account_id = $1`, [customer]);
    const report = await verifyReadModel(store, accountsProjection);
    expect(report.ok).toBe(false);
    expect(report.tables[0]!.differingKeys).toContain(customer);
    // Put it back through a rebuild: the model is whatever the events say.
    await rebuildReadModel(store, accountsProjection);
    expect((await verifyReadModel(store, accountsProjection)).ok).toBe(true);
  });

  it('rebuilds into a new generation and swaps it in while the projector keeps following', async () => {
    const { customer } = await partnerWithCustomer();
    const [before] = (await readGenerations(store.sql, 'accounts')).filter((g) => g.status === 'live');
    const digest = await tableDigest(store.sql, ACCOUNTS_TABLE, placementOf(before!.generation));
    const report = await rebuildReadModel(store, accountsProjection, { batchSize: 3 });
    expect(report).toMatchObject({ projector: 'accounts', generation: before!.generation + 1, replaced: before!.generation });
    const generations = await readGenerations(store.sql, 'accounts');
    expect(generations.map((g) => [g.generation, g.status])).toEqual([[before!.generation + 1, 'live']]);
    expect(await tableDigest(store.sql, ACCOUNTS_TABLE, placementOf(report.generation))).toEqual(digest);
    expect((await accountRow(store, customer))?.name).toBe('Beta Customer');
    const later = await partnerWithCustomer();
    expect(await accountRow(store, later.customer)).toBeDefined();
  });

  it('refuses a second rebuild of the same model while one runs', async () => {
    const lock = await store.tryLock('projector-rebuild:accounts');
    try {
      await expect(rebuildReadModel(store, accountsProjection)).rejects.toBeInstanceOf(RebuildInProgressError);
    } finally {
      await lock!.release();
    }
  });

  if (backend.name === 'PostgreSQL') {
    it('one active instance per projector: a standby takes over when the active one stops', async () => {
      const other = await second();
      await migrateReadModels(other);
      const standby = new ProjectionRunner(other, models, { batchSize: 50, pollMs: 100, standbyRetryMs: 100 });
      await standby.start();
      await new Promise((r) => setTimeout(r, 300));
      expect([runner.isActive('accounts'), standby.isActive('accounts')]).toEqual([true, false]);
      await runner.stop();
      await waitUntil(async () => standby.isActive('accounts'), 'the standby to take over');
      const { customer } = await partnerWithCustomer();
      expect(await accountRow(store, customer)).toBeDefined();
      await standby.stop();
      runner = new ProjectionRunner(store, models, { batchSize: 50, pollMs: 200 });
      await runner.start();
    });
  }
});
