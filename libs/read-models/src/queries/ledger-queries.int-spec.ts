import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent, StreamAppend } from '@ledger/event-store';
import type { Emitted } from '@ledger/licensing';
import * as b from '../../../licensing/src/test-builders';
import { ProjectionRunner } from '../projection-runner';
import { LEDGER_READ_MODELS } from '../projections';
import { readModelsReached } from '../status';
import { STORE_BACKENDS } from '../testing/backends';
import type { Page } from './cursor';
import { type ExpiringItem, LedgerQueries, type SearchItem } from './ledger-queries';

const DAY = 86_400_000;
const plusDays = (at: string, days: number) => new Date(Date.parse(at) + days * DAY).toISOString();
const proYear = b.terms({ code: 'PRO-1Y', category: 'pro', bindsTo: 'device', termDays: 365 });

async function waitUntil(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every page of a list, walked with its cursors. */
async function walk<T>(page: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const next = await page(cursor);
    items.push(...next.items);
    if (next.nextCursor === null) return items;
    cursor = next.nextCursor;
  }
  throw new Error('more than 100 pages');
}

describe.each(STORE_BACKENDS)('LedgerQueries search and expiring within an account on $name', (backend) => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  let runner: ProjectionRunner;
  let queries: LedgerQueries;

  beforeAll(async () => {
    ({ store, dispose } = await backend.open());
    runner = new ProjectionRunner(store, LEDGER_READ_MODELS, { batchSize: 500, pollMs: 200, log: (e) => e.level !== 'info' && console.error(e) });
    await runner.start();
    queries = new LedgerQueries(store);
  });
  afterAll(async () => {
    await runner?.stop();
    await dispose?.();
  });

  /** The events appended (one append, stream by stream in order) and projected by every read model. */
  async function given(events: readonly Emitted[]): Promise<void> {
    const streams = new Map<string, NewEvent[]>();
    for (const [streamId, event] of events) {
      const list = streams.get(streamId) ?? [];
      list.push(event as unknown as NewEvent);
      streams.set(streamId, list);
    }
    const appends: StreamAppend[] = [...streams].map(([streamId, list]) => ({ streamId, expectedVersion: 'any', events: list }));
    const appended = await store.append(appends);
    await waitUntil(() => readModelsReached(store, LEDGER_READ_MODELS, appended.lastPosition!), 'the read models');
  }

  const opened = (accountId: string, kind: string, parentId: string | null, name: string): Emitted =>
    [`account-${accountId}`, { type: 'AccountOpened', data: { accountId, kind, name, parentId, emails: [], openedAt: b.EARLIER } }] as unknown as Emitted;

  /**
   * A vendor, its partners A and B, A's customers A1 and A2, B's customer B1,
   * all named with a fresh token. Each account owns a license expiring
   * soon, a device (serial `token-n`) with a bound license expiring soon, a
   * PO and an unclaimed key. Besides: a key B bought and A1 claimed (its code
   * is the token), and the token is also A2's PO number and A1's device serial,
   * so one search for it finds accounts, a PO, a key and a device.
   */
  async function tenants(now: string) {
    const token = b.keyCodeFor(randomUUID()).replace(/-/g, '');
    const [vendor, A, A1, A2, B, B1] = Array.from({ length: 6 }, () => randomUUID()) as [string, string, string, string, string, string];
    const owners = { vendor, A, A1, A2, B, B1 };
    const events: Emitted[] = [
      opened(vendor, 'vendor', null, `Vendor ${token}`),
      opened(A, 'partner', vendor, `Partner A ${token}`),
      opened(B, 'partner', vendor, `Partner B ${token}`),
      opened(A1, 'customer', A, `Customer A1 ${token}`),
      opened(A2, 'customer', A, `Customer A2 ${token}`),
      opened(B1, 'customer', B, `Customer B1 ${token}`),
    ];
    /** What each entity is, how to find it by search, and who owns it (any of them puts it in a subtree). */
    const entities: { name: string; kind: SearchItem['kind']; id: string; q: string; owners: string[] }[] = [];
    const expiring: { id: string; owner: string }[] = [];
    Object.entries(owners).forEach(([name, owner], i) => {
      const [license, boundLicense, device] = [randomUUID(), randomUUID(), randomUUID()];
      const serial = name === 'A1' ? token : `${token}-${i}`;
      const poNumber = name === 'A2' ? token : `PO-${token}-${i}`;
      const keyCode = b.keyCodeFor(randomUUID());
      const until = plusDays(now, i + 1);
      events.push(
        // Term from its key's forced activation date: expires `until`, unbound.
        ...b.licenseIssued({ licenseId: license, ownerId: owner, model: proYear, keyCode, poNumber, forcedActivationDate: plusDays(until, -365) }),
        ...b.deviceRegistered({ deviceId: device, ownerId: owner, serial }),
        ...b.licenseIssued({ licenseId: boundLicense, ownerId: owner, model: proYear, keyCode, poNumber }),
        ...b.licenseBoundToDevice({ licenseId: boundLicense, deviceId: device, category: 'pro', validFrom: now, validUntil: plusDays(until, 0.5) }),
        ...b.purchaseOrderPlaced({ poNumber, buyerId: owner, lines: [{ modelCode: proYear.code, quantity: 2 }] }),
        ...b.keyIssued({ keyCode, poNumber, buyerId: owner, modelCode: proYear.code, quantity: 2 }),
      );
      entities.push(
        { name: `account ${name}`, kind: 'account', id: owner, q: token, owners: [owner] },
        { name: `license ${name}`, kind: 'license', id: license, q: license, owners: [owner] },
        { name: `bound license ${name}`, kind: 'license', id: boundLicense, q: boundLicense.toUpperCase(), owners: [owner] },
        { name: `device ${name}`, kind: 'device', id: device, q: serial.toLowerCase(), owners: [owner] },
        { name: `PO ${name}`, kind: 'purchase-order', id: poNumber, q: poNumber, owners: [owner] },
        { name: `key ${name}`, kind: 'key', id: keyCode, q: keyCode.replace(/-/g, '').toLowerCase(), owners: [owner] },
      );
      expiring.push({ id: license, owner }, { id: boundLicense, owner }, { id: device, owner });
    });
    // The token is a key code without its dashes: this key's code (on B's PO, B is the 5th owner).
    const crossKeyCode = token.match(/.{5}/g)!.join('-');
    events.push(
      ...b.keyIssued({ keyCode: crossKeyCode, poNumber: `PO-${token}-4`, buyerId: B, modelCode: proYear.code, quantity: 1 }),
      ...b.keyClaimed({ keyCode: crossKeyCode, accountId: A1, licenseIds: [] }),
    );
    entities.push({ name: 'key bought by B, claimed by A1', kind: 'key', id: crossKeyCode, q: crossKeyCode, owners: [B, A1] });
    await given(events);
    /** The accounts each scope sees (undefined: a global caller). */
    const subtrees: [string, string | undefined, string[]][] = [
      ['global', undefined, [vendor, A, A1, A2, B, B1]],
      ['vendor', vendor, [vendor, A, A1, A2, B, B1]],
      ['A', A, [A, A1, A2]],
      ['A1', A1, [A1]],
      ['A2', A2, [A2]],
      ['B', B, [B, B1]],
      ['B1', B1, [B1]],
    ];
    return { token, owners, entities, expiring, subtrees };
  }

  it('search within an account finds only what its subtree owns, whatever the kind; unscoped finds everything', async () => {
    const now = '2031-01-01T00:00:00.000Z';
    const { entities, subtrees } = await tenants(now);
    const found: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    for (const [scope, within, visible] of subtrees) {
      found[scope] = [];
      expected[scope] = entities.filter((e) => e.owners.some((o) => visible.includes(o))).map((e) => e.name);
      for (const entity of entities) {
        const { items } = await queries.search(entity.q, { limit: 200, ...(within === undefined ? {} : { within }) });
        if (items.some((item) => item.kind === entity.kind && item.id === entity.id)) found[scope]!.push(entity.name);
      }
    }
    expect(found).toEqual(expected);
    // Spot checks of the matrix: across tenants and two levels down.
    expect(expected['A']).toEqual(expect.arrayContaining(['account A1', 'device A2', 'key bought by B, claimed by A1']));
    expect(expected['A']).not.toContain('license B1');
    expect(expected['B']).toContain('key bought by B, claimed by A1');
    expect(expected['B1']).not.toContain('key bought by B, claimed by A1');
    expect(expected['vendor']).toContain('PO B1');
  });

  it('search within an unknown account finds nothing; an empty scope is not a global one', async () => {
    const { token, entities } = await tenants('2032-01-01T00:00:00.000Z');
    expect((await queries.search(token, { limit: 200 })).items.length).toBeGreaterThan(0);
    expect((await queries.search(token, { limit: 200, within: randomUUID() })).items).toEqual([]);
    expect((await queries.search(token, { limit: 200, within: '' })).items).toEqual([]);
    expect((await queries.search(entities.find((e) => e.kind === 'license')!.q, { limit: 200, within: randomUUID() })).items).toEqual([]);
  });

  it('a scoped search walked page by page (limit 1) gives each visible match once, in the order of one page', async () => {
    const { token, owners, subtrees } = await tenants('2033-01-01T00:00:00.000Z');
    for (const [scope, within, visible] of subtrees) {
      const options = within === undefined ? {} : { within };
      const whole = await queries.search(token, { limit: 200, ...options });
      const paged = await walk((cursor) => queries.search(token, { limit: 1, cursor, ...options }));
      expect({ scope, items: paged }).toEqual({ scope, items: whole.items });
      expect(new Set(paged.map((i) => `${i.kind}/${i.id}`)).size).toBe(paged.length);
      // Accounts, A2's PO, the cross-tenant key, A1's device: each only where its owner is visible.
      const accounts = paged.filter((i) => i.kind === 'account').map((i) => i.id).sort();
      expect(accounts).toEqual([...visible].sort());
      expect(paged.some((i) => i.kind === 'purchase-order')).toBe(visible.includes(owners.A2));
      expect(paged.some((i) => i.kind === 'key')).toBe(visible.includes(owners.B) || visible.includes(owners.A1));
      expect(paged.some((i) => i.kind === 'device')).toBe(visible.includes(owners.A1));
    }
    const withinA = await walk((cursor) => queries.search(token, { limit: 1, cursor, within: owners.A }));
    // By kind, then label: "Customer A1 …" < "Customer A2 …" < "Partner A …".
    expect(withinA.map((i) => [i.kind, i.kind === 'account' ? i.id : i.label])).toEqual([
      ['account', owners.A1],
      ['account', owners.A2],
      ['account', owners.A],
      ['purchase-order', token],
      ['key', token.match(/.{5}/g)!.join('-')],
      ['device', token],
    ]);
  });

  it('expiring within an account lists only its subtree\'s licenses and devices; unscoped lists everything', async () => {
    const now = '2034-01-01T00:00:00.000Z';
    const { expiring, subtrees, owners } = await tenants(now);
    for (const [scope, within, visible] of subtrees) {
      const { items, nextCursor } = await queries.expiring(30, { limit: 200, ...(within === undefined ? {} : { within }) }, now);
      expect(nextCursor).toBeNull();
      expect({ scope, ids: items.map((i) => i.id).sort() }).toEqual({ scope, ids: expiring.filter((e) => visible.includes(e.owner)).map((e) => e.id).sort() });
      expect(items.every((i) => visible.includes(i.ownerId))).toBe(true);
    }
    const devices = await queries.expiring(30, { limit: 200, kind: 'devices', within: owners.A }, now);
    expect(devices.items.map((i) => i.kind)).toEqual(['device', 'device', 'device']);
    expect(devices.items.map((i) => i.ownerId)).toEqual([owners.A, owners.A1, owners.A2]);
    expect((await queries.expiring(30, { limit: 200, within: randomUUID() }, now)).items).toEqual([]);
  });

  it('a scoped expiry list walked page by page (limit 1) gives each visible item once, soonest first', async () => {
    const now = '2035-01-01T00:00:00.000Z';
    const { subtrees } = await tenants(now);
    for (const [scope, within] of subtrees) {
      const options = within === undefined ? {} : { within };
      const whole = await queries.expiring(30, { limit: 200, ...options }, now);
      const paged: ExpiringItem[] = await walk((cursor) => queries.expiring(30, { limit: 1, cursor, ...options }, now));
      expect({ scope, items: paged }).toEqual({ scope, items: whole.items });
      expect(new Set(paged.map((i) => i.id)).size).toBe(paged.length);
    }
  });

  it('unscoped, the statements are the ones without tenancy: no subtree, no extra parameter', async () => {
    const seen: { text: string; params: readonly unknown[] }[] = [];
    const spying = {
      sql: {
        query: (text: string, params: readonly unknown[] = []) => {
          seen.push({ text, params });
          return store.sql.query(text, params as unknown[]);
        },
      },
    } as unknown as EventStore;
    const spied = new LedgerQueries(spying);
    await spied.search('anything', { limit: 5 });
    await spied.expiring(30, { limit: 5 }, '2036-01-01T00:00:00.000Z');
    expect(seen.map((s) => [/subtree/.test(s.text), s.params.length])).toEqual([[false, 9], [false, 6]]);
    seen.length = 0;
    await spied.search('anything', { limit: 5, within: randomUUID() });
    await spied.expiring(30, { limit: 5, within: randomUUID() }, '2036-01-01T00:00:00.000Z');
    expect(seen.map((s) => [/WITH RECURSIVE subtree/.test(s.text), s.params.length])).toEqual([[true, 10], [true, 7]]);
  });
});
