/**
 * The query routes end to end: portal flows driven over HTTP through the
 * command routes, then read back through the read models (each command's
 * `position` as minPosition, so every answer includes it), on PGlite and
 * (with DATABASE_URL) PostgreSQL. Every test opens accounts, codes and
 * serials of its own; the app is shared per backend.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore } from '@ledger/event-store';
import { startTestLedger, type TestLedger } from './app';
import { BACKENDS } from './backends';
import { type Json, PortalKit, VENDOR, sfx } from './portal-kit';

const DAY_MS = 86_400_000;
/** Small, so that a minPosition never reached answers 503 quickly. */
const READ_WAIT_TIMEOUT_MS = 1_500;


function sortedCopy<T>(values: readonly T[]): T[] {
  return [...values].sort();
}

const zeroCounts = { available: 0, bound: 0, deployed: 0, superseded: 0, uninstalled: 0, revoked: 0, expired: 0 };
function counts(modelCode: string, category: string, buckets: Partial<typeof zeroCounts>) {
  const all = { ...zeroCounts, ...buckets };
  return { modelCode, category, ...all, total: Object.values(all).reduce((a, b) => a + b, 0) };
}

describe.each(BACKENDS)('queries on $name', (backend) => {
  let ledger: TestLedger;
  let store: EventStore;
  /** Keeps every answer, and the highest position a command of the current test answered with: every query waits for it. */
  const kit = new PortalKit(() => ledger);
  const { http, ok, get, openAccount, defineModel, placeOrder, licensesFor, registerDevice } = kit;

  beforeAll(async () => {
    ledger = await startTestLedger(backend, { readWaitTimeoutMs: READ_WAIT_TIMEOUT_MS });
    store = ledger.store;
  });

  afterAll(async () => {
    await ledger?.close();
  });

  beforeEach(() => {
    kit.reset();
  });

  afterEach(() => {
    // Never a 500, whatever the test sent (a 503 is asked for on purpose once).
    expect(kit.answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
  });

  // ------------------------------------------------------------------ HTTP helpers

  /** A query that must answer 200, after the read models reached every command of the test so far. */
  async function read(path: string, query: Record<string, string | number | undefined> = {}): Promise<Json> {
    const res = await get(path, { minPosition: kit.position, ...query });
    if (res.status !== 200) throw new Error(`GET ${path} ${JSON.stringify(query)}: expected 200, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A query that must be refused with this status and code, as an RFC 9457 problem. */
  async function refusedGet(path: string, query: Record<string, string | number | undefined>, status: number, code: string): Promise<Json> {
    const res = await get(path, query);
    if (res.status !== status || res.body?.code !== code)
      throw new Error(`GET ${path} ${JSON.stringify(query)}: expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: `urn:ledger:problem:${code.toLowerCase().replaceAll('_', '-')}`, status, code, instance: path });
    return res.body;
  }

  /** Every item of a paginated list, page by page; checks no item comes twice and the last page says so. */
  async function walk(path: string, query: Record<string, string | number | undefined>, itemsOf: (body: Json) => Json[], keyOf: (item: Json) => string): Promise<{ items: Json[]; pages: number }> {
    const items: Json[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const body = await read(path, { ...query, cursor });
      pages += 1;
      items.push(...itemsOf(body));
      const next = 'nextCursor' in body ? body.nextCursor : body.licenses.nextCursor;
      if (next === null) break;
      expect(typeof next).toBe('string');
      cursor = next;
      if (pages > 1_000) throw new Error('pagination does not end');
    }
    const keys = items.map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
    return { items, pages };
  }

  // ================================================================== inventories

  it('inventory counts follow the flow: claim, sale, binding, revocation, deployment, uninstallation, expiry; partner and customer inventories split', async () => {
    const deviceModel = `AP-${sfx()}`;
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner, `customer ${sfx()}`);
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const server = await defineModel({ bindsTo: 'deployment', category: 'server', termDays: null, seats: 5 });
    const shortModel = await defineModel({ bindsTo: 'device', category: 'cloud-ai', termDays: 30 });

    // Claim 5; sell 2 to the customer; the customer binds one; the partner revokes one of its own.
    const claimed = await licensesFor(partner, model, 5);
    const sale = await ok(`/v1/accounts/${partner}/sales`, { buyerId: customer, lines: [{ modelCode: model, quantity: 2 }] });
    const device = await registerDevice(customer, deviceModel);
    await ok(`/v1/devices/${device}/bindings`, { licenseId: sale.licenseIds[0] });
    const kept = claimed.filter((id) => !sale.supersededIds.includes(id));
    await ok(`/v1/licenses/${kept[0]}/revocation`, { reason: 'refund' });

    // Two server licenses: one deployed on a server of the partner's, the other deployed, installed and uninstalled.
    const servers = await licensesFor(partner, server, 2);
    const deployed = await ok('/v1/deployments', { creatorId: partner, ownerId: partner, serverId: `srv-${sfx()}`, lines: [{ licenseId: servers[0] }] });
    const gone = await ok('/v1/deployments', { creatorId: partner, ownerId: partner, serverId: `srv-${sfx()}`, lines: [{ licenseId: servers[1] }] });
    await ok(`/v1/deployments/${gone.deploymentId}/installation`);
    await ok(`/v1/deployments/${gone.deploymentId}/uninstallation`);

    // A key whose forced activation date plus its term has passed: its license counts as expired, not available.
    const [expired] = await licensesFor(partner, shortModel, 1, '2020-01-01T00:00:00Z');

    const inventory = await read(`/v1/accounts/${partner}/inventory`);
    expect(inventory.accountId).toBe(partner);
    expect(inventory.counts).toEqual(
      [
        counts(model, 'pro', { available: 2, superseded: 2, revoked: 1 }),
        counts(server, 'server', { deployed: 1, uninstalled: 1 }),
        counts(shortModel, 'cloud-ai', { expired: 1 }),
      ].sort((a, b) => (a.modelCode < b.modelCode ? -1 : 1)),
    );
    expect(inventory.licenses.items).toHaveLength(8);
    expect(inventory.licenses.nextCursor).toBeNull();
    const byId = new Map<string, Json>(inventory.licenses.items.map((l: Json) => [l.licenseId, l]));
    expect(byId.get(kept[0]!)).toMatchObject({ status: 'revoked', ownerId: partner, modelCode: model, category: 'pro' });
    expect(byId.get(servers[0]!)).toMatchObject({ status: 'deployed', deploymentId: deployed.deploymentId });
    expect(byId.get(servers[1]!)).toMatchObject({ status: 'uninstalled', deploymentId: gone.deploymentId });
    expect(byId.get(expired!)).toMatchObject({ status: 'expired', validUntil: '2020-01-31T00:00:00.000Z' });
    for (const id of sale.supersededIds) expect(byId.get(id)).toMatchObject({ status: 'superseded' });

    // Filters: by state (expired is a bucket of its own), by model, by category.
    expect((await read(`/v1/accounts/${partner}/inventory`, { status: 'expired' })).licenses.items.map((l: Json) => l.licenseId)).toEqual([expired]);
    expect((await read(`/v1/accounts/${partner}/inventory`, { status: 'available' })).licenses.items.map((l: Json) => l.licenseId).sort()).toEqual(sortedCopy(kept.slice(1)));
    const pro = await read(`/v1/accounts/${partner}/inventory`, { modelCode: model });
    expect(pro.counts).toEqual([counts(model, 'pro', { available: 2, superseded: 2, revoked: 1 })]);
    expect(pro.licenses.items).toHaveLength(5);
    expect((await read(`/v1/accounts/${partner}/inventory`, { category: 'server' })).licenses.items.map((l: Json) => l.licenseId).sort()).toEqual(sortedCopy(servers));

    // The customer's own inventory: 2 sold to it, one of them bound to its device.
    const own = await read(`/v1/accounts/${customer}/inventory`);
    expect(own.counts).toEqual([counts(model, 'pro', { available: 1, bound: 1 })]);
    expect(own.licenses.items.find((l: Json) => l.licenseId === sale.licenseIds[0])).toMatchObject({ status: 'bound', deviceId: device, issuedReason: 'sale' });

    // The partner's view of its customers' licenses: the customer's 2, with the owner named; none of the partner's own.
    const customers = await read(`/v1/accounts/${partner}/customer-inventory`);
    expect(customers.counts).toEqual([counts(model, 'pro', { available: 1, bound: 1 })]);
    expect(sortedCopy(customers.licenses.items.map((l: Json) => l.licenseId))).toEqual(sortedCopy(sale.licenseIds));
    for (const item of customers.licenses.items) expect(item).toMatchObject({ ownerId: customer, ownerName: expect.stringMatching(/^customer /) });
    const available = await read(`/v1/accounts/${partner}/customer-inventory`, { status: 'available' });
    expect(available.licenses.items.map((l: Json) => l.licenseId)).toEqual([sale.licenseIds[1]]);

    // Deployments of the partner: both, oldest first, with their state.
    const deployments = await read(`/v1/accounts/${partner}/deployments`);
    expect(deployments.items.map((d: Json) => [d.deploymentId, d.state])).toEqual([
      [deployed.deploymentId, 'created'],
      [gone.deploymentId, 'uninstalled'],
    ]);
    expect((await read(`/v1/accounts/${partner}/deployments`, { status: 'uninstalled' })).items.map((d: Json) => d.deploymentId)).toEqual([gone.deploymentId]);
    expect(deployments.items[1]).toMatchObject({ ownerId: partner, creatorId: partner, licenseIds: [servers[1]], maintenanceUntil: null, fileNo: 1 });
  });

  it('a deployment owned by the end user: sold to it, deployed in its inventory; listed for creator and owner', async () => {
    const partner = await openAccount('partner');
    const endUser = await openAccount('customer', partner);
    const server = await defineModel({ bindsTo: 'deployment', category: 'server', termDays: null });
    await licensesFor(partner, server, 3);
    const maintenanceUntil = new Date(Date.now() + 30 * DAY_MS).toISOString();
    const created = await ok('/v1/deployments', { creatorId: partner, ownerId: endUser, serverId: `srv-${sfx()}`, lines: [{ modelCode: server, quantity: 2 }], maintenanceUntil });

    expect((await read(`/v1/accounts/${partner}/inventory`)).counts).toEqual([counts(server, 'server', { available: 1, superseded: 2 })]);
    expect((await read(`/v1/accounts/${endUser}/inventory`)).counts).toEqual([counts(server, 'server', { deployed: 2 })]);
    expect((await read(`/v1/accounts/${partner}/customer-inventory`)).counts).toEqual([counts(server, 'server', { deployed: 2 })]);
    for (const account of [partner, endUser]) {
      const list = await read(`/v1/accounts/${account}/deployments`);
      expect(list.items).toEqual([expect.objectContaining({ deploymentId: created.deploymentId, state: 'created', maintenanceUntil, ownerId: endUser, creatorId: partner })]);
    }
  });

  // ================================================================== license detail and lineage

  it('license detail: lineage complete both ways after a transfer, a sale and a move', async () => {
    const sister = await openAccount('partner');
    const partner = await openAccount('partner');
    const first = await openAccount('customer', partner);
    const second = await openAccount('customer', partner);
    await ok(`/v1/accounts/${partner}/links`, { accountId: sister });
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const { poNumber, keys } = await placeOrder(sister, [{ modelCode: model, quantity: 1 }]);
    const [root] = (await ok(`/v1/keys/${keys[0].keyCode}/claim`, { accountId: sister })).licenseIds;

    const pulled = (await ok(`/v1/accounts/${partner}/transfers`, { fromAccountId: sister, lines: [{ licenseId: root }] })).licenseIds[0];
    const sold = (await ok(`/v1/accounts/${partner}/sales`, { buyerId: first, lines: [{ licenseId: pulled }] })).licenseIds[0];
    const moved = (await ok(`/v1/licenses/${sold}/move`, { toAccountId: second })).licenseIds[0];

    const entry = (licenseId: string, ownerId: string, status: string, reason: string) => ({ licenseId, ownerId, status, reason });
    const chain = [
      entry(root, sister, 'superseded', 'claim'),
      entry(pulled, partner, 'superseded', 'transfer'),
      entry(sold, first, 'superseded', 'sale'),
      entry(moved, second, 'available', 'move'),
    ];

    const middle = await read(`/v1/licenses/${pulled}`);
    expect(middle).toMatchObject({
      licenseId: pulled,
      status: 'superseded',
      model: { code: model, name: `Model ${model}`, category: 'pro', bindsTo: 'device', termDays: 365, seats: 1 },
      owner: { accountId: partner, name: expect.stringMatching(/^partner /), kind: 'partner' },
      binding: null,
      validFrom: null,
      validUntil: null,
      deploymentId: null,
      keyCode: keys[0].keyCode,
      poNumber,
      forcedActivationDate: null,
      predecessorId: root,
      successorId: sold,
    });
    expect(middle.predecessors).toEqual(chain.slice(0, 1));
    expect(middle.successors).toEqual(chain.slice(2));
    const last = await read(`/v1/licenses/${moved}`);
    expect(last.predecessors).toEqual(chain.slice(0, 3));
    expect(last.successors).toEqual([]);
    expect(last.owner).toEqual({ accountId: second, name: expect.any(String), kind: 'customer' });
    const origin = await read(`/v1/licenses/${root}`);
    expect(origin.predecessors).toEqual([]);
    expect(origin.successors).toEqual(chain.slice(1));

    // Upper-case ids name the same license; an unknown one is a 404; a malformed one a 400.
    expect((await read(`/v1/licenses/${moved.toUpperCase()}`)).licenseId).toBe(moved);
    await refusedGet(`/v1/licenses/${randomUUID()}`, {}, 404, 'LICENSE_NOT_FOUND');
    await refusedGet('/v1/licenses/not-a-uuid', {}, 400, 'VALIDATION_FAILED');
  });

  // ================================================================== devices

  it('device view after binds: categories, channels, validity, licenses by category; the account lists its devices by earliest expiry', async () => {
    const deviceModel = `NVR-${sfx()}`;
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const pro = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const channel = await defineModel({ bindsTo: 'channel', category: 'channel', termDays: 30, deviceModels: [deviceModel] });
    const [proLicense] = await licensesFor(customer, pro, 1);
    await licensesFor(customer, channel, 2);
    const serial = `SN-${sfx()}`;
    const device = await registerDevice(customer, deviceModel, 4, serial);
    const idle = await registerDevice(customer, deviceModel, 0);

    const bound = await ok(`/v1/devices/${device}/bindings`, { licenseId: proLicense });
    const channels = await ok(`/v1/devices/${device}/bindings`, { fromAccountId: customer, modelCode: channel, quantity: 2, channels: [2, 4] });
    const proUntil = bound.bindings[0].validUntil;
    const channelUntil = channels.bindings[0].validUntil;

    const view = await read(`/v1/devices/${device}`);
    expect(view).toMatchObject({
      deviceId: device,
      owner: { accountId: customer, kind: 'customer', name: expect.any(String) },
      // Stored as the domain normalizes it (upper-case, no spaces).
      serial: serial.toUpperCase(),
      model: deviceModel,
      channels: 4,
      validUntil: { pro: { validUntil: proUntil, expired: false } },
      earliestExpiry: channelUntil < proUntil ? channelUntil : proUntil,
      expired: false,
    });
    expect(Object.keys(view.channelCoverage)).toEqual(['2', '4']);
    expect(view.channelCoverage['2']).toEqual({ licenseId: channels.bindings[0].licenseId, validUntil: channelUntil, expired: false });
    expect(Object.keys(view.licenses)).toEqual(['channel', 'pro']);
    expect(view.licenses.pro).toEqual([{ licenseId: proLicense, modelCode: pro, status: 'bound', channel: null, validFrom: bound.bindings[0].validFrom, validUntil: proUntil }]);
    expect(sortedCopy(view.licenses.channel.map((l: Json) => `${l.channel}:${l.modelCode}:${l.status}`))).toEqual([`2:${channel}:bound`, `4:${channel}:bound`]);

    // The bound license's detail points at the device.
    expect((await read(`/v1/licenses/${proLicense}`)).binding).toEqual({ deviceId: device, channel: null, mspAccountId: null });

    // The account's devices: the one that expires first, the idle one (never expires) last; one per page walks both.
    const list = await read(`/v1/accounts/${customer}/devices`);
    expect(list.items.map((d: Json) => d.deviceId)).toEqual([device, idle]);
    expect(list.items[1]).toMatchObject({ earliestExpiry: null, expired: false, validUntil: {} });
    const walked = await walk(`/v1/accounts/${customer}/devices`, { limit: 1 }, (b) => b.items, (d) => d.deviceId);
    expect(walked.items.map((d: Json) => d.deviceId)).toEqual([device, idle]);
    expect(walked.pages).toBe(2);

    await refusedGet(`/v1/devices/${randomUUID()}`, {}, 404, 'DEVICE_NOT_FOUND');
  });

  // ================================================================== accounts, customers, search

  it('account detail and customers: kind, parent, linked accounts, MSP portal; customers by name with q', async () => {
    const tag = sfx();
    const partner = await openAccount('partner', VENDOR, `Partner ${tag}`);
    const alpha = await openAccount('customer', partner, `alpha ${tag}`);
    const beta = await openAccount('customer', partner, `Beta ${tag}`);
    const gamma = await openAccount('customer', partner, `gamma ${tag}`);
    await ok(`/v1/accounts/${alpha}/links`, { accountId: beta });
    const msp = await defineModel({ bindsTo: 'msp-portal', category: 'msp', termDays: 30 });
    const claim = await ok(`/v1/keys/${(await placeOrder(gamma, [{ modelCode: msp, quantity: 1 }])).keys[0].keyCode}/claim`, { accountId: gamma });

    const account = await read(`/v1/accounts/${alpha}`);
    expect(account).toEqual({
      accountId: alpha,
      kind: 'customer',
      name: `alpha ${tag}`,
      parentId: partner,
      parent: { accountId: partner, name: `Partner ${tag}`, kind: 'partner' },
      emails: [expect.stringMatching(/@example\.com$/)],
      linkedAccounts: [{ accountId: beta, name: `Beta ${tag}` }],
      mspPortalValidUntil: null,
      mspPortalValid: false,
      openedAt: expect.any(String),
    });
    expect(await read(`/v1/accounts/${gamma}`)).toMatchObject({ mspPortalValidUntil: claim.mspPortalValidUntil, mspPortalValid: true });
    expect(await read(`/v1/accounts/${VENDOR}`)).toMatchObject({ kind: 'vendor', parent: null });

    const list = await read(`/v1/accounts/${partner}/customers`);
    expect(list.items.map((a: Json) => a.accountId)).toEqual([alpha, beta, gamma]);
    expect(list.items[1]).toMatchObject({ linkedAccounts: [{ accountId: alpha, name: `alpha ${tag}` }], mspPortalValidUntil: null });
    expect(list.items[2]).toMatchObject({ mspPortalValidUntil: claim.mspPortalValidUntil });
    expect((await read(`/v1/accounts/${partner}/customers`, { q: 'BETA' })).items.map((a: Json) => a.accountId)).toEqual([beta]);
    expect((await read(`/v1/accounts/${partner}/customers`, { q: '%' })).items).toEqual([]);
    const walked = await walk(`/v1/accounts/${partner}/customers`, { limit: 2 }, (b) => b.items, (a) => a.accountId);
    expect(walked.items.map((a: Json) => a.accountId)).toEqual([alpha, beta, gamma]);
    expect(walked.pages).toBe(2);

    await refusedGet(`/v1/accounts/${randomUUID()}`, {}, 404, 'ACCOUNT_NOT_FOUND');
    for (const route of ['inventory', 'customer-inventory', 'customers', 'devices', 'deployments'])
      await refusedGet(`/v1/accounts/${randomUUID()}/${route}`, {}, 404, 'ACCOUNT_NOT_FOUND');
  });

  it('search: account name part (wildcards literal), PO number, key code with or without dashes in any case, License ID, serial as typed', async () => {
    const tag = sfx();
    const partner = await openAccount('partner', VENDOR, `Search ${tag} Partner`);
    const customer = await openAccount('customer', partner, `search ${tag} customer 100%_off`);
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const { poNumber, keys } = await placeOrder(partner, [{ modelCode: model, quantity: 1 }]);
    const keyCode: string = keys[0].keyCode;
    const [license] = (await ok(`/v1/keys/${keyCode}/claim`, { accountId: partner })).licenseIds;
    const serial = `SN-${tag.toUpperCase()}-X`;
    const device = await registerDevice(customer, 'AP', 0, serial);

    const byName = await read('/v1/search', { q: tag.toUpperCase() });
    expect(byName.items.map((i: Json) => [i.kind, i.id])).toEqual([
      ['account', partner],
      ['account', customer],
    ]);
    expect(byName.items[0]).toMatchObject({ label: `Search ${tag} Partner`, accountKind: 'partner', parentId: VENDOR });
    expect((await read('/v1/search', { q: `${tag} customer 100%_` })).items.map((i: Json) => i.id)).toEqual([customer]);
    expect((await read('/v1/search', { q: `${tag}%` })).items).toEqual([]);
    expect((await read('/v1/search', { q: `${tag}_` })).items).toEqual([]);

    expect((await read('/v1/search', { q: poNumber })).items).toEqual([{ kind: 'purchase-order', id: poNumber, label: poNumber, buyerId: partner, placedAt: expect.any(String), fulfilledAt: expect.any(String) }]);
    const asKey = { kind: 'key', id: keyCode, label: keyCode, poNumber, modelCode: model, quantity: 1, claimedBy: partner };
    expect((await read('/v1/search', { q: keyCode })).items).toEqual([asKey]);
    expect((await read('/v1/search', { q: keyCode.replaceAll('-', '').toLowerCase() })).items).toEqual([asKey]);
    expect((await read('/v1/search', { q: ` ${keyCode.toLowerCase().replaceAll('-', ' ')} ` })).items).toEqual([asKey]);
    expect((await read('/v1/search', { q: license })).items).toEqual([{ kind: 'license', id: license, label: license, ownerId: partner, modelCode: model, status: 'available' }]);
    expect((await read('/v1/search', { q: license.toUpperCase() })).items.map((i: Json) => i.id)).toEqual([license]);
    const typed = serial.toLowerCase().replace('-', ' - ');
    expect((await read('/v1/search', { q: typed })).items).toEqual([{ kind: 'device', id: device, label: serial, ownerId: customer, model: 'AP', serial }]);

    // One per page walks every match once, in the same order.
    const walked = await walk('/v1/search', { q: tag, limit: 1 }, (b) => b.items, (i) => `${i.kind}:${i.id}`);
    expect(walked.items.map((i: Json) => i.id)).toEqual([partner, customer]);
    expect(walked.pages).toBe(2);
  });

  // ================================================================== expiring

  it('expiring: licenses and devices whose validity ends within the window, soonest first', async () => {
    const deviceModel = `AP-${sfx()}`;
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const ten = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 10, deviceModels: [deviceModel] });
    const five = await defineModel({ bindsTo: 'device', category: 'cloud-ai', termDays: 6 });
    const far = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const [bound] = await licensesFor(customer, ten, 1);
    // Forced to start a day ago: an unbound license with 5 days left.
    const [unbound] = await licensesFor(customer, five, 1, new Date(Date.now() - DAY_MS).toISOString());
    const [later] = await licensesFor(customer, far, 1);
    const device = await registerDevice(customer, deviceModel);
    const farDevice = await registerDevice(customer, deviceModel);
    await ok(`/v1/devices/${device}/bindings`, { licenseId: bound });
    await ok(`/v1/devices/${farDevice}/bindings`, { licenseId: later });

    const mine = new Set([bound, unbound, later, device, farDevice]);
    const window = async (query: Record<string, string | number>) =>
      (await walk('/v1/expiring', { limit: 200, ...query }, (b) => b.items, (i) => `${i.kind}:${i.id}`)).items.filter((i: Json) => mine.has(i.id));

    const thirty = await window({ days: 30 });
    expect(thirty.map((i: Json) => [i.kind, i.id])).toEqual([
      ['license', unbound],
      // The bound license and its device end at the same instant: then by id.
      ...(bound! < device ? [['license', bound], ['device', device]] : [['device', device], ['license', bound]]),
    ]);
    expect(thirty.find((i: Json) => i.id === unbound)).toMatchObject({ ownerId: customer, modelCode: five, status: 'available' });
    expect((await window({ days: 30, kind: 'devices' })).map((i: Json) => i.id)).toEqual([device]);
    expect((await window({ days: 30, kind: 'licenses' })).map((i: Json) => i.id)).toEqual([unbound, bound]);
    expect((await window({ days: 3 })).map((i: Json) => i.id)).toEqual([]);
    expect(sortedCopy((await window({ days: 400 })).map((i: Json) => i.id))).toEqual(sortedCopy([...mine]));

    await refusedGet('/v1/expiring', { days: 0 }, 400, 'VALIDATION_FAILED');
    await refusedGet('/v1/expiring', { days: 3651 }, 400, 'VALIDATION_FAILED');
    await refusedGet('/v1/expiring', {}, 400, 'VALIDATION_FAILED');
  });

  // ================================================================== pagination and validation

  it('cursor pagination walks every license once; limits, cursors and unknown parameters are checked', async () => {
    const partner = await openAccount('partner');
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const licenses = await licensesFor(partner, model, 7);
    const path = `/v1/accounts/${partner}/inventory`;

    const walked = await walk(path, { limit: 3 }, (b) => b.licenses.items, (l) => l.licenseId);
    expect(walked.pages).toBe(3);
    expect(walked.items.map((l: Json) => l.licenseId)).toEqual(sortedCopy(licenses));
    expect((await walk(path, {}, (b) => b.licenses.items, (l) => l.licenseId)).pages).toBe(1);
    const exact = await read(path, { limit: 7 });
    expect(exact.licenses.items).toHaveLength(7);
    expect(exact.licenses.nextCursor).toBeNull();

    const first = await read(path, { limit: 3 });
    const bad = await refusedGet(path, { cursor: 'not a cursor!' }, 400, 'VALIDATION_FAILED');
    expect(bad.errors).toEqual([{ pointer: '/query/cursor', detail: expect.any(String) }]);
    await refusedGet(path, { cursor: Buffer.from('["inventory",1]').toString('base64url') }, 400, 'VALIDATION_FAILED');
    // A cursor of another list is not one of this list.
    await refusedGet(`/v1/accounts/${partner}/devices`, { cursor: first.licenses.nextCursor }, 400, 'VALIDATION_FAILED');
    await refusedGet(`/v1/accounts/${partner}/customers`, { cursor: first.licenses.nextCursor }, 400, 'VALIDATION_FAILED');
    await refusedGet('/v1/search', { q: 'x', cursor: first.licenses.nextCursor }, 400, 'VALIDATION_FAILED');

    for (const limit of ['0', '201', '-1', 'ten', '1.5']) {
      const res = await refusedGet(path, { limit }, 400, 'VALIDATION_FAILED');
      expect(res.errors[0].pointer).toBe('/query/limit');
    }
    const unknown = await refusedGet(path, { colour: 'blue' }, 400, 'VALIDATION_FAILED');
    expect(unknown.errors).toEqual([{ pointer: '/query/colour', detail: 'unknown query parameter' }]);
    await refusedGet(path, { status: 'lost' }, 400, 'VALIDATION_FAILED');
    await refusedGet(`/v1/accounts/${partner}/customer-inventory`, { asOf: '1' }, 400, 'VALIDATION_FAILED');
    await refusedGet('/v1/search', {}, 400, 'VALIDATION_FAILED');
    await refusedGet('/v1/search', { q: '   ' }, 400, 'VALIDATION_FAILED');
    await refusedGet(path, { minPosition: '-1' }, 400, 'VALIDATION_FAILED');
    await refusedGet(path, { minPosition: 'abc' }, 400, 'VALIDATION_FAILED');
    await refusedGet('/v1/accounts/not-a-uuid', {}, 400, 'VALIDATION_FAILED');
  });

  // ================================================================== as of a past moment

  it('as of a position or an instant: the state at that moment; the live answer shows what came after', async () => {
    const deviceModel = `AP-${sfx()}`;
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const device = await registerDevice(customer, deviceModel);

    // Step 1: three licenses claimed. Its live answers, and its position and recorded time.
    const licenses = await licensesFor(partner, model, 3);
    const p1 = kit.position;
    const t1 = (await store.readStream(`license-${licenses[0]}`)).events[0]!.metadata.recordedAt;
    const inventory1 = await read(`/v1/accounts/${partner}/inventory`);
    const license1 = await read(`/v1/licenses/${licenses[0]}`);
    const device1 = await read(`/v1/devices/${device}`);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Step 2: one sold to the customer, then bound to its device.
    const sale = await ok(`/v1/accounts/${partner}/sales`, { buyerId: customer, lines: [{ licenseId: licenses[0] }] });
    const successor = sale.licenseIds[0];
    await ok(`/v1/devices/${device}/bindings`, { licenseId: successor });

    const inventory2 = await read(`/v1/accounts/${partner}/inventory`);
    expect(inventory2.counts).toEqual([counts(model, 'pro', { available: 2, superseded: 1 })]);
    expect((await read(`/v1/licenses/${licenses[0]}`)).successors).toEqual([{ licenseId: successor, ownerId: customer, status: 'bound', reason: 'sale' }]);
    expect((await read(`/v1/devices/${device}`)).licenses).toEqual({ pro: [expect.objectContaining({ licenseId: successor, status: 'bound' })] });

    for (const asOf of [p1, t1]) {
      const inventory = await read(`/v1/accounts/${partner}/inventory`, { asOf });
      expect(inventory).toEqual({ asOf, ...inventory1 });
      expect(inventory.counts).toEqual([counts(model, 'pro', { available: 3 })]);
      expect(await read(`/v1/licenses/${licenses[0]}`, { asOf })).toEqual({ asOf, ...license1 });
      expect(license1).toMatchObject({ status: 'available', successors: [], successorId: null });
      expect(await read(`/v1/devices/${device}`, { asOf })).toEqual({ asOf, ...device1 });
      expect(device1.licenses).toEqual({});
      // The successor did not exist yet.
      await refusedGet(`/v1/licenses/${successor}`, { asOf }, 404, 'LICENSE_NOT_FOUND');
      // Paginated as the live inventory is.
      const page = await read(`/v1/accounts/${partner}/inventory`, { asOf, limit: 2 });
      expect(page.licenses.items).toEqual(inventory1.licenses.items.slice(0, 2));
      const rest = await read(`/v1/accounts/${partner}/inventory`, { asOf, limit: 2, cursor: page.licenses.nextCursor });
      expect(rest.licenses.items).toEqual(inventory1.licenses.items.slice(2));
      expect(rest.licenses.nextCursor).toBeNull();
    }

    // As of now, the same as live; before the device was registered, no device.
    expect(await read(`/v1/licenses/${successor}`, { asOf: kit.position })).toEqual({ asOf: kit.position, ...(await read(`/v1/licenses/${successor}`)) });
    await refusedGet(`/v1/devices/${device}`, { asOf: 1 }, 404, 'DEVICE_NOT_FOUND');
    expect((await read(`/v1/accounts/${partner}/inventory`, { asOf: 1 })).counts).toEqual([]);

    // An instant in the future, or neither a position nor an instant, is refused.
    const future = await refusedGet(`/v1/licenses/${successor}`, { asOf: new Date(Date.now() + DAY_MS).toISOString() }, 400, 'VALIDATION_FAILED');
    expect(future.errors).toEqual([{ pointer: '/query/asOf', detail: 'must not be in the future' }]);
    await refusedGet(`/v1/devices/${device}`, { asOf: 'yesterday' }, 400, 'VALIDATION_FAILED');
    await refusedGet(`/v1/accounts/${partner}/inventory`, { asOf: '-5' }, 400, 'VALIDATION_FAILED');
  });

  it('refuses search text with a control character (the fuzzer found a NUL answered 500)', async () => {
    const partner = await kit.openAccount('partner');
    for (const [path, q] of [['/v1/search', '\u0000'], ['/v1/search', 'a\u0007b'], [`/v1/accounts/${partner}/customers`, '\u0000']] as const) {
      const res = await kit.get(path, { q });
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
  });

  it('the OpenAPI document lists every query route with its parameters', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body;
    const params = (path: string) => (doc.paths[path]?.get?.parameters ?? []).map((p: Json) => `${p.in}:${p.name}${p.required ? '!' : ''}`).sort();
    expect(params('/v1/accounts/{id}/inventory')).toEqual(['path:id!', 'query:asOf', 'query:category', 'query:cursor', 'query:limit', 'query:minPosition', 'query:modelCode', 'query:status'].sort());
    expect(params('/v1/accounts/{id}/customer-inventory')).toEqual(['path:id!', 'query:category', 'query:cursor', 'query:limit', 'query:minPosition', 'query:modelCode', 'query:status'].sort());
    expect(params('/v1/accounts/{id}')).toEqual(['path:id!', 'query:minPosition']);
    expect(params('/v1/accounts/{id}/customers')).toEqual(['path:id!', 'query:cursor', 'query:limit', 'query:minPosition', 'query:q'].sort());
    expect(params('/v1/accounts/{id}/devices')).toEqual(['path:id!', 'query:cursor', 'query:limit', 'query:minPosition'].sort());
    expect(params('/v1/accounts/{id}/deployments')).toEqual(['path:id!', 'query:cursor', 'query:limit', 'query:minPosition', 'query:status'].sort());
    expect(params('/v1/licenses/{id}')).toEqual(['path:id!', 'query:asOf', 'query:minPosition']);
    expect(params('/v1/devices/{id}')).toEqual(['path:id!', 'query:asOf', 'query:minPosition']);
    expect(params('/v1/search')).toEqual(['query:cursor', 'query:limit', 'query:minPosition', 'query:q!'].sort());
    expect(params('/v1/expiring')).toEqual(['query:cursor', 'query:days!', 'query:kind', 'query:limit', 'query:minPosition'].sort());
    expect(Object.keys(doc.paths['/v1/expiring'].get.responses).sort()).toEqual(['200', '400', '503']);
  });

  // ================================================================== read your writes

  it('a minPosition the read models do not reach in time: 503 READ_MODELS_BEHIND with Retry-After', async () => {
    const partner = await openAccount('partner');
    const beyond = kit.position + 1_000_000;
    const started = Date.now();
    const res = await get(`/v1/accounts/${partner}`, { minPosition: beyond });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'READ_MODELS_BEHIND', status: 503, details: { minPosition: beyond, positions: expect.any(Object) } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(READ_WAIT_TIMEOUT_MS - 50);
    for (const path of [`/v1/accounts/${partner}/inventory`, '/v1/expiring?days=1', `/v1/licenses/${randomUUID()}`]) {
      const [route, query] = path.split('?');
      const behind = await get(route!, { minPosition: beyond, ...(query ? Object.fromEntries([query.split('=') as [string, string]]) : {}) });
      expect([behind.status, behind.body.code]).toEqual([503, 'READ_MODELS_BEHIND']);
    }
    // Reached: the account opened a moment ago is there at once.
    expect(await read(`/v1/accounts/${partner}`)).toMatchObject({ accountId: partner, kind: 'partner' });
  });
});
