/**
 * The audit routes over HTTP on both backends: a license's whole lineage,
 * a device's and an account's history, and the global feed paged with its
 * opaque checkpoint.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_VENDOR } from '../apps/ledger/src/config/ledger.config';
import { startTestLedger, type TestLedger } from './app';
import { BACKENDS } from './backends';
import { PortalKit } from './portal-kit';

/** A response body: JSON, checked by the assertions. */
type Json = any;
const VENDOR = DEFAULT_VENDOR.accountId;
const sfx = () => randomBytes(5).toString('hex');

describe.each(BACKENDS)('audit routes on $name', (backend) => {
  let ledger: TestLedger;
  const kit = new PortalKit(() => ledger);
  /** The actor recorded for the ledger's bootstrap admin key (the vendor's staff here). */
  let admin: string;

  beforeAll(async () => {
    ledger = await startTestLedger(backend);
    admin = `key:${ledger.adminKey.slice(4, 16)}`;
  });
  afterAll(async () => {
    await ledger?.close();
  });

  /** A command sent with an API key (the admin key when `as` is not given), under an Idempotency-Key of its own. */
  async function ok(path: string, body: object, as?: string, key = `k-${sfx()}`): Promise<Json> {
    const res = await ledger.http(as).post(path).set('Idempotency-Key', key).send(body);
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function get(path: string, status = 200, as?: string): Promise<Json> {
    const res = await ledger.http(as).get(path);
    if (res.status !== status) throw new Error(`GET ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    if (status >= 400) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status, instance: path.split('?')[0], type: expect.stringMatching(/^urn:ledger:problem:/) });
    }
    return res.body;
  }

  /**
   * The vendor (the admin key) opens a partner and sells it a key; the partner (a key of its own) opens a customer,
   * claims the key, sells the license to the customer and registers a device for it; the customer (a key of its own)
   * binds the successor to the device.
   */
  async function lineageFixture() {
    const partner = (await ok('/v1/accounts', { kind: 'partner', name: `Partner ${sfx()}`, parentId: VENDOR })).accountId;
    const partnerKey = await kit.apiKey('partner', partner);
    const customer = (await ok('/v1/accounts', { kind: 'customer', name: `Customer ${sfx()}`, parentId: partner }, partnerKey.key)).accountId;
    // The partner manages its customer's keys itself.
    const customerKey = await kit.apiKey('customer', customer, {}, partnerKey.key);
    const deviceModel = `CAM-${sfx()}`;
    const modelCode = `PRO-${sfx()}`;
    await ok('/v1/license-models', { code: modelCode, name: `Model ${modelCode}`, bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const poNumber = `PO-${sfx()}`;
    await ok('/v1/purchase-orders', { poNumber, buyerId: partner, deliveryEmails: ['po@example.com'], lines: [{ modelCode, quantity: 1 }] });
    const { keys } = await ok(`/v1/purchase-orders/${poNumber}/fulfilment`, {});
    const claimKey = `claim-${sfx()}`;
    const claim = await ok(`/v1/keys/${keys[0].keyCode}/claim`, { accountId: partner }, partnerKey.key, claimKey);
    const original: string = claim.licenseIds[0];
    const saleKey = `sale-${sfx()}`;
    const sale = await ok(`/v1/accounts/${partner}/sales`, { buyerId: customer, lines: [{ licenseId: original }] }, partnerKey.key, saleKey);
    const successor: string = sale.licenseIds[0];
    // The partner acts for its customer: the device is the customer's.
    const registerKey = `register-${sfx()}`;
    const device = (await ok('/v1/devices', { ownerId: customer, serial: `SN-${sfx()}`, model: deviceModel, channels: 0 }, partnerKey.key, registerKey)).deviceId;
    const bindKey = `bind-${sfx()}`;
    const bound = await ok(`/v1/devices/${device}/bindings`, { licenseId: successor }, customerKey.key, bindKey);
    // Until the projectors have applied it all: their batch transactions hold the feed's horizon back while they run.
    await get(`/v1/accounts/${partner}?minPosition=${bound.position}`);
    return {
      partner,
      customer,
      original,
      successor,
      device,
      claimKey,
      saleKey,
      registerKey,
      bindKey,
      partnerKey: partnerKey.key,
      customerKey: customerKey.key,
      partnerActor: `key:${partnerKey.keyId}`,
      customerActor: `key:${customerKey.keyId}`,
    };
  }

  it("a license's history is its whole lineage, predecessor and successor, in position order, with who did what on which command", async () => {
    const f = await lineageFixture();
    const history = await get(`/v1/licenses/${f.successor}/history`);
    expect(history.streamIds).toEqual([`license-${f.original}`, `license-${f.successor}`]);
    const positions = history.events.map((e: Json) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // The sale writes the successor's LicenseIssued and the predecessor's LicenseSuperseded in one
    // transaction: their relative order is whatever positions the store drew, hence sorted sets here.
    const pairs = history.events.map((e: Json) => `${e.streamId} ${e.type}`);
    expect([...pairs].sort()).toEqual(
      [
        `license-${f.original} LicenseIssued`,
        `license-${f.original} LicenseSuperseded`,
        `license-${f.successor} LicenseIssued`,
        `license-${f.successor} LicenseBound`,
      ].sort(),
    );
    expect(pairs[0]).toBe(`license-${f.original} LicenseIssued`);
    expect(pairs[3]).toBe(`license-${f.successor} LicenseBound`);
    expect(history.events[0]).toEqual({
      streamId: `license-${f.original}`,
      streamPosition: 1,
      position: expect.any(Number),
      eventId: expect.any(String),
      type: 'LicenseIssued',
      data: expect.objectContaining({ licenseId: f.original, ownerId: f.partner, predecessorId: null }),
      actor: f.partnerActor,
      onBehalfOf: null,
      commandId: f.claimKey,
      correlationId: expect.any(String),
      causationId: null,
      recordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(history.events.slice(1, 3).map((e: Json) => [e.actor, e.onBehalfOf, e.commandId])).toEqual([
      [f.partnerActor, null, f.saleKey],
      [f.partnerActor, null, f.saleKey],
    ]);
    // The customer bound its own license: its key is the actor, on nobody else's behalf.
    expect(history.events[3]).toMatchObject({ actor: f.customerActor, onBehalfOf: null, commandId: f.bindKey, data: expect.objectContaining({ deviceId: f.device }) });
    // Never the vendor's key, which did not touch these licenses.
    expect(history.events.map((e: Json) => e.actor)).not.toContain(admin);
    expect(history.hasMore).toBe(false);
    expect(history.next).toBe(positions.at(-1));

    // From the predecessor's side: the same lineage.
    expect((await get(`/v1/licenses/${f.original}/history`)).events).toEqual(history.events);
    // The partner, whose licenses they were, reads the same history with its own key.
    expect((await get(`/v1/licenses/${f.successor}/history`, 200, f.partnerKey)).events).toEqual(history.events);

    // Cursor pagination.
    const first = await get(`/v1/licenses/${f.successor}/history?limit=3`);
    expect(first.events).toEqual(history.events.slice(0, 3));
    expect(first.hasMore).toBe(true);
    const second = await get(`/v1/licenses/${f.successor}/history?limit=3&after=${first.next}`);
    expect(second.events).toEqual(history.events.slice(3));
    expect(second.hasMore).toBe(false);
  });

  it("a device's and an account's history", async () => {
    const f = await lineageFixture();
    const device = await get(`/v1/devices/${f.device.toUpperCase()}/history`);
    expect(device.streamIds).toEqual([`device-${f.device}`]);
    expect(device.events.map((e: Json) => e.type)).toEqual(['DeviceRegistered', expect.any(String)]);
    // The partner registered the device for its customer: its own key is the actor, the customer whom it acted for is named.
    expect(device.events[0]).toMatchObject({ streamId: `device-${f.device}`, streamPosition: 1, actor: f.partnerActor, onBehalfOf: f.customer, commandId: f.registerKey });
    expect(device.events[1]).toMatchObject({ streamId: `device-${f.device}`, streamPosition: 2, actor: f.customerActor, onBehalfOf: null, commandId: f.bindKey });
    // An auditor's key reads the same; so do the partner's and the customer's own keys, for a device in their scope.
    const auditor = await kit.apiKey('auditor', VENDOR);
    for (const as of [auditor.key, f.partnerKey, f.customerKey]) expect((await get(`/v1/devices/${f.device}/history`, 200, as)).events).toEqual(device.events);

    const account = await get(`/v1/accounts/${f.customer}/history`);
    // The partner opened the customer below itself: its own account, so on nobody else's behalf.
    expect(account.events[0]).toMatchObject({ streamId: `account-${f.customer}`, streamPosition: 1, type: 'AccountOpened', actor: f.partnerActor, onBehalfOf: null });
    expect(account.events[0].data).toMatchObject({ accountId: f.customer, parentId: f.partner });
    const partner = await get(`/v1/accounts/${f.partner}/history`);
    expect(partner.events[0]).toMatchObject({ type: 'AccountOpened', actor: admin, onBehalfOf: null });
  });

  it('the OpenAPI document names every history item\'s actor and on whose behalf it acted', async () => {
    const doc = (await ledger.http().get('/docs-json').expect(200)).body;
    for (const path of ['/v1/licenses/{id}/history', '/v1/devices/{id}/history', '/v1/accounts/{id}/history']) {
      const item = doc.paths[path].get.responses['200'].content['application/json'].schema.properties.events.items;
      expect(item.required).toEqual(expect.arrayContaining(['actor', 'onBehalfOf']));
      expect(item.properties.onBehalfOf).toMatchObject({ type: 'string', nullable: true });
      expect(item.properties.actor.description).toContain('key:<keyId>');
    }
    expect(doc.paths['/v1/events'].get.responses['200'].content['application/json'].schema.properties.events.items.required).toContain('onBehalfOf');
  });

  it('answers 404 for unknown ids and 400 for malformed ones and queries', async () => {
    const missing = randomUUID();
    expect((await get(`/v1/licenses/${missing}/history`, 404)).code).toBe('LICENSE_NOT_FOUND');
    expect((await get(`/v1/devices/${missing}/history`, 404)).code).toBe('DEVICE_NOT_FOUND');
    expect((await get(`/v1/accounts/${missing}/history`, 404)).code).toBe('ACCOUNT_NOT_FOUND');
    expect((await get('/v1/licenses/not-a-uuid/history', 400)).code).toBe('VALIDATION_FAILED');
    const badLimit = await get(`/v1/accounts/${VENDOR}/history?limit=0`, 400);
    expect(badLimit).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/query/limit', detail: expect.any(String) }] });
    expect((await get(`/v1/accounts/${VENDOR}/history?limit=1001`, 400)).code).toBe('VALIDATION_FAILED');
    expect((await get(`/v1/accounts/${VENDOR}/history?colour=red`, 400)).errors).toEqual([{ pointer: '/query/colour', detail: 'unknown query parameter' }]);
  });

  it('/v1/events: 400 on a malformed checkpoint or limit', async () => {
    for (const after of ['12', 'abc', '1.2', '1.2.3.4', '-1.0.0', '1.2.x'])
      expect(await get(`/v1/events?after=${encodeURIComponent(after)}`, 400)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/query/after' }] });
    expect((await get('/v1/events?limit=5000', 400)).code).toBe('VALIDATION_FAILED');
    expect((await get('/v1/events?after=1.2.3&after=1.2.4', 400)).code).toBe('VALIDATION_FAILED');
  });

  it('/v1/events pages through the whole feed with next until hasMore is false, every event once', async () => {
    const f = await lineageFixture();
    const all: Json[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await get(`/v1/events?limit=7${after ? `&after=${after}` : ''}`);
      expect(page.events.length).toBeLessThanOrEqual(7);
      expect(page.next).toMatch(/^\d+\.\d+\.\d+$/);
      all.push(...page.events);
      after = page.next;
      pages += 1;
      if (!page.hasMore) break;
    }
    expect(pages).toBeGreaterThan(2);
    // The same as the store's own feed: every committed event exactly once.
    const feed = await ledger.store.readFeed({ limit: 10_000 });
    expect(all.map((e) => e.eventId)).toEqual(feed.events.map((e) => e.eventId));
    expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
    expect(all[0]).toMatchObject({ streamId: expect.any(String), streamPosition: expect.any(Number), position: expect.any(Number), type: expect.any(String), recordedAt: expect.any(String) });
    // Every event names its actor and on whose behalf; the feed carries the same as the histories.
    for (const e of all) expect(e.onBehalfOf === null || typeof e.onBehalfOf === 'string').toBe(true);
    expect(all.find((e) => e.type === 'DeviceRegistered' && e.data.deviceId === f.device)).toMatchObject({ actor: f.partnerActor, onBehalfOf: f.customer, commandId: f.registerKey });
    // The vendor's admin placed the partner's order: it acted for the partner.
    expect(all.find((e) => e.type === 'PurchaseOrderPlaced' && e.data.buyerId === f.partner)).toMatchObject({ actor: admin, onBehalfOf: f.partner });
    // Past the end: nothing, and the same checkpoint back.
    const end = await get(`/v1/events?after=${after}`);
    expect(end).toEqual({ events: [], next: after, hasMore: false });
    // Defaults: from the start, 100 at most.
    const first = await get('/v1/events');
    expect(first.events.slice(0, 7)).toEqual(all.slice(0, 7));
  });
});
