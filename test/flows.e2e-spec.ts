/**
 * The portal flows end to end: over HTTP (supertest), through the command
 * routes, the application layer and the domain, into the event store, on
 * PGlite and (with DATABASE_URL) PostgreSQL. Every test opens accounts, PO
 * numbers and serials of its own (random suffixes), so tests share one app
 * per backend without seeing each other's data.
 */
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@ledger/event-store';
import { canonicalJson } from '@ledger/event-store';
import { KEY_ALPHABET, addDays, formatKeyCode, parseKeyCode } from '@ledger/licensing';
import { verifySignedDocument } from '../apps/ledger/src/signing/signed-document';
import { startTestLedger, type TestLedger } from './app';
import { BACKENDS } from './backends';
import { type Json, PortalKit, UUID, sfx } from './portal-kit';

/** Crockford base32 (no I, L, O, U), four groups of five. */
const KEY_CODE = /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/;
const DAY_MS = 86_400_000;


function sortedCopy<T>(values: readonly T[]): T[] {
  return [...values].sort();
}

describe.each(BACKENDS)('portal flows on $name', (backend) => {
  let ledger: TestLedger;
  let store: EventStore;
  /** Every answer of the current test is kept, to check that none was a 5xx. */
  const kit = new PortalKit(() => ledger);
  const { http, post, ok, refused, openAccount, defineModel, keyFor, licensesFor, registerDevice } = kit;

  beforeAll(async () => {
    ledger = await startTestLedger(backend);
    store = ledger.store;
  });

  afterAll(async () => {
    await ledger?.close();
  });

  beforeEach(() => {
    kit.reset();
  });

  afterEach(() => {
    // Never a 500, whatever the test sent.
    expect(kit.answers.filter((a) => a.status >= 500)).toEqual([]);
  });

  // ------------------------------------------------------------------ store helpers

  async function streamEvents(streamId: string): Promise<RecordedEvent[]> {
    return (await store.readStream(streamId)).events;
  }

  async function streamTypes(streamId: string): Promise<string[]> {
    return (await streamEvents(streamId)).map((e) => e.type);
  }

  async function lastEvent(streamId: string): Promise<RecordedEvent> {
    const events = await streamEvents(streamId);
    expect(events.length).toBeGreaterThan(0);
    return events[events.length - 1]!;
  }

  /**
   * The store's last global position and event count: everything committed.
   * Not from the feed: it holds back events committed after any transaction
   * still open (the projectors' batches run beside the commands), by design.
   */
  async function storeHead(): Promise<{ position: number; events: number }> {
    const [row] = await store.sql.query<{ position: string | number; events: string | number }>(
      'SELECT coalesce(max(global_position), 0) AS position, count(*) AS events FROM ledger_events',
    );
    return { position: Number(row!.position), events: Number(row!.events) };
  }

  function expectNear(instant: string, from: number, to: number): void {
    expect(Date.parse(instant)).toBeGreaterThanOrEqual(from);
    expect(Date.parse(instant)).toBeLessThanOrEqual(to);
  }

  // ================================================================== portal flows

  it('(1) a partner binds a channel license to its customer\'s device, allocates seats, and the customer binds them itself', async () => {
    const deviceModel = `CAM-${sfx()}`;
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const channelModel = await defineModel({ bindsTo: 'channel', category: 'channel', termDays: 365, deviceModels: [deviceModel] });
    const seatModel = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const unfitModel = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [`OTHER-${sfx()}`] });
    const channelLicenses = await licensesFor(partner, channelModel, 3);
    const seatLicenses = await licensesFor(partner, seatModel, 2);
    await licensesFor(partner, unfitModel, 1);
    const device = await registerDevice(customer, deviceModel, 4);
    const bindings = `/v1/devices/${device}/bindings`;

    // The partner binds one single-channel license to channel 3 of its customer's device.
    const t0 = Date.now();
    const asPartner = (await kit.apiKey('partner', partner)).key;
    const asCustomer = (await kit.apiKey('customer', customer)).key;
    const onChannel = await ok(bindings, { fromAccountId: partner, modelCode: channelModel, quantity: 1, channels: [3] }, { as: asPartner, key: `bind-${sfx()}` });
    const t1 = Date.now();
    expect(onChannel).toEqual({
      deviceId: device,
      bindings: [{ licenseId: expect.stringMatching(UUID), channel: 3, validFrom: expect.any(String), validUntil: expect.any(String), handedOnFrom: expect.any(String) }],
      validUntil: {},
      position: expect.any(Number),
    });
    const channelBinding = onChannel.bindings[0];
    expect(channelLicenses).toContain(channelBinding.handedOnFrom);
    expect(channelLicenses).not.toContain(channelBinding.licenseId);
    expectNear(channelBinding.validFrom, t0, t1);
    expect(channelBinding.validUntil).toBe(addDays(channelBinding.validFrom, 365));
    // The partner's license is superseded; the customer's successor is the one bound, to channel 3.
    expect((await lastEvent(`license-${channelBinding.handedOnFrom}`)).data).toMatchObject({
      successorId: channelBinding.licenseId,
      toAccountId: customer,
      reason: 'binding-hand-off',
    });
    const successor = await streamEvents(`license-${channelBinding.licenseId}`);
    expect(successor.map((e) => [e.type, e.data])).toEqual([
      ['LicenseIssued', expect.objectContaining({ ownerId: customer, predecessorId: channelBinding.handedOnFrom, reason: 'binding-hand-off' })],
      ['LicenseBound', expect.objectContaining({ deviceId: device, channel: 3, validFrom: channelBinding.validFrom, validUntil: channelBinding.validUntil })],
    ]);

    // The partner allocates two seats of a device-bound model to the customer's account.
    const allocation = await ok(`/v1/accounts/${partner}/allocations`, { toAccountId: customer, modelCode: seatModel, quantity: 2 });
    expect(allocation).toEqual({ fromAccountId: partner, toAccountId: customer, licenseIds: [expect.stringMatching(UUID), expect.stringMatching(UUID)], supersededIds: expect.any(Array), position: expect.any(Number) });
    expect(sortedCopy(allocation.supersededIds)).toEqual(sortedCopy(seatLicenses));
    expect(new Set(allocation.licenseIds).size).toBe(2);
    for (const id of allocation.licenseIds) expect(seatLicenses).not.toContain(id);

    // The customer binds one by License ID...
    const t2 = Date.now();
    const first = await ok(bindings, { licenseId: allocation.licenseIds[0] }, { as: asCustomer });
    const t3 = Date.now();
    expect(first.bindings).toEqual([{ licenseId: allocation.licenseIds[0], channel: null, validFrom: expect.any(String), validUntil: expect.any(String), handedOnFrom: null }]);
    expectNear(first.bindings[0].validFrom, t2, t3);
    expect(first.bindings[0].validUntil).toBe(addDays(first.bindings[0].validFrom, 365));
    expect(first.validUntil).toEqual({ pro: first.bindings[0].validUntil });

    // ...and the other from its account: it stacks on the first (starts where it ends).
    const second = await ok(bindings, { fromAccountId: customer, modelCode: seatModel, quantity: 1 }, { as: asCustomer });
    expect(second.bindings).toEqual([
      { licenseId: allocation.licenseIds[1], channel: null, validFrom: first.bindings[0].validUntil, validUntil: addDays(first.bindings[0].validUntil, 365), handedOnFrom: null },
    ]);
    expect(second.validUntil).toEqual({ pro: second.bindings[0].validUntil });

    // Channel 3 is covered; channel 5 does not exist on a 4-channel device; the unfit model does not fit.
    const covered = await refused(bindings, { fromAccountId: partner, modelCode: channelModel, quantity: 1, channels: [3] }, 409, 'CHANNEL_ALREADY_COVERED');
    expect(covered.details).toMatchObject({ channel: 3 });
    expect(covered.errors).toEqual([{ pointer: '/channels/0', detail: covered.detail }]);
    const outOfRange = await refused(bindings, { fromAccountId: partner, modelCode: channelModel, quantity: 1, channels: [5] }, 422, 'CHANNEL_OUT_OF_RANGE');
    expect(outOfRange.details).toMatchObject({ channel: 5, channels: 4 });
    const unfit = await refused(bindings, { fromAccountId: partner, modelCode: unfitModel, quantity: 1 }, 422, 'LICENSE_MODEL_DOES_NOT_FIT_DEVICE');
    expect(unfit.details).toMatchObject({ modelCode: unfitModel, deviceModel });

    // The refusals took nothing: the partner's two other channel licenses still cover two channels.
    const more = await ok(bindings, { fromAccountId: partner, modelCode: channelModel, quantity: 2, channels: [1, 4] });
    expect(more.bindings.map((b: Json) => b.channel)).toEqual([1, 4]);
    expect(sortedCopy(more.bindings.map((b: Json) => b.handedOnFrom))).toEqual(sortedCopy(channelLicenses.filter((id) => id !== channelBinding.handedOnFrom)));
  });

  it('(2) a reseller sells to its end user, via a deployment, pulls from a linked account, and is refused what it may not sell', async () => {
    const reseller = await openAccount('partner');
    const endUser = await openAccount('customer', reseller);
    const deviceModel = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const serverModel = await defineModel({ bindsTo: 'deployment', category: 'server', termDays: null, seats: 10 });
    const devices = await licensesFor(reseller, deviceModel, 3);
    const servers = await licensesFor(reseller, serverModel, 3);
    const sales = `/v1/accounts/${reseller}/sales`;

    // Sell to an end user by model and quantity.
    const sale = await ok(sales, { buyerId: endUser, lines: [{ modelCode: deviceModel, quantity: 2 }] }, { key: `sale-${sfx()}` });
    expect(sale).toMatchObject({ fromAccountId: reseller, toAccountId: endUser });
    expect(sale.licenseIds).toHaveLength(2);
    expect(sale.supersededIds).toHaveLength(2);
    for (const id of sale.supersededIds) expect(devices).toContain(id);
    for (const id of sale.licenseIds) {
      expect(devices).not.toContain(id);
      expect((await streamEvents(`license-${id}`))[0]!.data).toMatchObject({ ownerId: endUser, reason: 'sale' });
    }

    // Sell via a deployment owned by the end user: the licenses are sold, then deployed, as the end user's.
    const serverId = `srv-${sfx()}`;
    const sold = await ok('/v1/deployments', { creatorId: reseller, ownerId: endUser, serverId, lines: [{ modelCode: serverModel, quantity: 2 }] });
    expect(sold).toEqual({
      deploymentId: expect.stringMatching(UUID),
      ownerId: endUser,
      serverId,
      licenseIds: [expect.stringMatching(UUID), expect.stringMatching(UUID)],
      soldIds: [expect.stringMatching(UUID), expect.stringMatching(UUID)],
      position: expect.any(Number),
    });
    for (const id of sold.soldIds) {
      expect(servers).toContain(id);
      expect((await lastEvent(`license-${id}`)).type).toBe('LicenseSuperseded');
    }
    for (const id of sold.licenseIds) {
      const events = await streamEvents(`license-${id}`);
      expect(events.map((e) => e.type)).toEqual(['LicenseIssued', 'LicenseDeployed']);
      expect(events[0]!.data).toMatchObject({ ownerId: endUser, reason: 'deployment-sale' });
      expect(events[1]!.data).toMatchObject({ deploymentId: sold.deploymentId });
    }

    // Transfer from a linked account, pulled by the receiver: refused until the accounts are linked.
    const sister = await openAccount('partner');
    const sisterLicenses = await licensesFor(sister, deviceModel, 2);
    const transfers = `/v1/accounts/${reseller}/transfers`;
    const notLinked = await refused(transfers, { fromAccountId: sister, lines: [{ licenseId: sisterLicenses[0] }] }, 422, 'ACCOUNTS_NOT_LINKED');
    expect(notLinked.details).toEqual({ accountId: reseller, fromAccountId: sister });
    expect(await ok(`/v1/accounts/${reseller}/links`, { accountId: sister })).toMatchObject({ accountId: reseller, linkedAccountId: sister });
    expect(await streamTypes(`account-${sister}`)).toEqual(['AccountOpened', 'AccountLinked']);
    const pulled = await ok(transfers, { fromAccountId: sister, lines: [{ licenseId: sisterLicenses[0] }] });
    expect(pulled).toMatchObject({ fromAccountId: sister, toAccountId: reseller, supersededIds: [sisterLicenses[0]] });
    expect(pulled.licenseIds).toHaveLength(1);
    expect((await streamEvents(`license-${pulled.licenseIds[0]}`))[0]!.data).toMatchObject({ ownerId: reseller, predecessorId: sisterLicenses[0], reason: 'transfer' });

    // Not an end user: a customer of another partner, or another partner.
    const otherPartner = await openAccount('partner');
    const foreignCustomer = await openAccount('customer', otherPartner);
    const foreign = await refused(sales, { buyerId: foreignCustomer, lines: [{ modelCode: deviceModel, quantity: 1 }] }, 422, 'NOT_AN_END_USER');
    expect(foreign.details).toEqual({ accountId: foreignCustomer, sellerId: reseller });
    expect(foreign.errors).toEqual([{ pointer: '/buyerId', detail: foreign.detail }]);
    await refused(sales, { buyerId: sister, lines: [{ modelCode: deviceModel, quantity: 1 }] }, 422, 'NOT_AN_END_USER');
    await refused('/v1/deployments', { creatorId: reseller, ownerId: foreignCustomer, serverId: `srv-${sfx()}`, lines: [{ modelCode: serverModel, quantity: 1 }] }, 422, 'NOT_AN_END_USER');

    // A deployed license cannot be sold.
    const [kept] = servers.filter((id) => !sold.soldIds.includes(id));
    const own = await ok('/v1/deployments', { creatorId: reseller, ownerId: reseller, serverId: `srv-${sfx()}`, lines: [{ licenseId: kept }] });
    expect(own).toMatchObject({ ownerId: reseller, licenseIds: [kept], soldIds: [] });
    const deployed = await refused(sales, { buyerId: endUser, lines: [{ licenseId: kept }] }, 422, 'LICENSE_DEPLOYED');
    expect(deployed.details).toEqual({ licenseId: kept, deploymentId: own.deploymentId });
    expect(deployed.errors).toEqual([{ pointer: '/lines/0/licenseId', detail: deployed.detail }]);

    // More than available: 3 - 2 sold + 1 pulled = 2 left.
    const insufficient = await refused(sales, { buyerId: endUser, lines: [{ modelCode: deviceModel, quantity: 5 }] }, 422, 'INSUFFICIENT_LICENSES');
    expect(insufficient.details).toEqual({ modelCode: deviceModel, requested: 5, available: 2 });
    expect(insufficient.errors).toEqual([{ pointer: '/lines/0/quantity', detail: insufficient.detail }]);
    const rest = await ok(sales, { buyerId: endUser, lines: [{ modelCode: deviceModel, quantity: 2 }] });
    expect(sortedCopy(rest.supersededIds)).toEqual(sortedCopy([...devices.filter((id) => !sale.supersededIds.includes(id)), pulled.licenseIds[0]]));
  });

  it('(3) a license handed to a customer gets a new ID; the old one is kept but can be neither transferred nor bound', async () => {
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const otherCustomer = await openAccount('customer', partner);
    const deviceModel = `AP-${sfx()}`;
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const [original] = await licensesFor(partner, model, 1);

    const sale = await ok(`/v1/accounts/${partner}/sales`, { buyerId: customer, lines: [{ licenseId: original }] });
    expect(sale).toMatchObject({ fromAccountId: partner, toAccountId: customer, supersededIds: [original] });
    const [successor] = sale.licenseIds;
    expect(successor).toMatch(UUID);
    expect(successor).not.toBe(original);
    // Lineage both ways; the predecessor stays in the ledger.
    expect(await streamTypes(`license-${original}`)).toEqual(['LicenseIssued', 'LicenseSuperseded']);
    expect((await lastEvent(`license-${original}`)).data).toMatchObject({ successorId: successor, toAccountId: customer, reason: 'sale' });
    expect((await streamEvents(`license-${successor}`))[0]!.data).toMatchObject({ licenseId: successor, ownerId: customer, predecessorId: original, reason: 'sale' });

    // The old ID can be neither sold again, nor transferred, nor bound.
    const resold = await refused(`/v1/accounts/${partner}/sales`, { buyerId: otherCustomer, lines: [{ licenseId: original }] }, 422, 'LICENSE_SUPERSEDED');
    expect(resold.details).toEqual({ licenseId: original, successorId: successor });
    expect(resold.errors).toEqual([{ pointer: '/lines/0/licenseId', detail: resold.detail }]);
    const sibling = await openAccount('partner');
    await ok(`/v1/accounts/${sibling}/links`, { accountId: partner });
    await refused(`/v1/accounts/${sibling}/transfers`, { fromAccountId: partner, lines: [{ licenseId: original }] }, 422, 'LICENSE_SUPERSEDED');
    const device = await registerDevice(customer, deviceModel);
    const bound = await refused(`/v1/devices/${device}/bindings`, { licenseId: original }, 422, 'LICENSE_SUPERSEDED');
    expect(bound.details).toEqual({ licenseId: original, successorId: successor });
    expect(await streamTypes(`license-${original}`)).toEqual(['LicenseIssued', 'LicenseSuperseded']);

    // The new ID is the customer's to bind.
    const binding = await ok(`/v1/devices/${device}/bindings`, { licenseId: successor });
    expect(binding.bindings).toEqual([expect.objectContaining({ licenseId: successor, handedOnFrom: null })]);
  });

  it('(4) a PO with two lines gives two keys; a claim unzips its quantity, once; a mistyped key is refused', async () => {
    const partner = await openAccount('partner');
    const modelA = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const modelB = await defineModel({ bindsTo: 'device', category: 'cloud-ai', termDays: 30 });
    const poNumber = `PO-${sfx()}`;
    const placed = await ok('/v1/purchase-orders', {
      poNumber,
      buyerId: partner,
      deliveryEmails: ['orders@partner.example', 'it@partner.example'],
      lines: [{ modelCode: modelA, quantity: 3 }, { modelCode: modelB, quantity: 1 }],
    });
    expect(placed).toEqual({ poNumber, position: expect.any(Number) });

    // Fulfilled with no body at all, as a portal button sends it.
    const fulfilment = await ok(`/v1/purchase-orders/${poNumber}/fulfilment`);
    expect(fulfilment).toEqual({
      poNumber,
      keys: [
        { keyCode: expect.stringMatching(KEY_CODE), lineNo: 1, modelCode: modelA, quantity: 3 },
        { keyCode: expect.stringMatching(KEY_CODE), lineNo: 2, modelCode: modelB, quantity: 1 },
      ],
      position: expect.any(Number),
    });
    const [keyA, keyB] = fulfilment.keys.map((k: Json) => k.keyCode as string);
    expect(keyA).not.toBe(keyB);
    expect(parseKeyCode(keyA!)).toBe(keyA);
    // Fulfilling again hands back the same keys and writes nothing.
    expect(await ok(`/v1/purchase-orders/${poNumber}/fulfilment`, {})).toEqual({ ...fulfilment, position: null });

    // Claiming unzips the quantity into distinct licenses.
    const claim = await ok(`/v1/keys/${keyA}/claim`, { accountId: partner });
    expect(claim).toEqual({ keyCode: keyA, accountId: partner, modelCode: modelA, licenseIds: expect.any(Array), bindings: [], mspPortalValidUntil: null, position: expect.any(Number) });
    expect(claim.licenseIds).toHaveLength(3);
    expect(new Set(claim.licenseIds).size).toBe(3);
    for (const id of claim.licenseIds) {
      expect(id).toMatch(UUID);
      expect(await streamEvents(`license-${id}`)).toEqual([expect.objectContaining({ type: 'LicenseIssued', data: expect.objectContaining({ ownerId: partner, keyCode: keyA, poNumber, reason: 'claim' }) })]);
    }
    expect(await streamTypes(`key-${keyA}`)).toEqual(['LicenseKeyIssued', 'KeyClaimed']);

    // Once: a second claim (into any account) is refused.
    const other = await openAccount('partner');
    const again = await refused(`/v1/keys/${keyA}/claim`, { accountId: other }, 409, 'KEY_ALREADY_CLAIMED');
    expect(again.details).toEqual({ keyCode: keyA });

    // One mistyped symbol: the check symbol catches it.
    const at = 7;
    const typo = keyB!.slice(0, at) + KEY_ALPHABET[(KEY_ALPHABET.indexOf(keyB![at]!) + 1) % KEY_ALPHABET.length] + keyB!.slice(at + 1);
    const malformed = await refused(`/v1/keys/${typo}/claim`, { accountId: partner }, 400, 'KEY_CODE_MALFORMED');
    expect(malformed.errors).toEqual([{ pointer: '/path/keyCode', detail: malformed.detail }]);
    await refused(`/v1/keys/NOT-A-KEY/claim`, { accountId: partner }, 400, 'KEY_CODE_MALFORMED');
    // A well-formed key nobody issued.
    await refused(`/v1/keys/${formatKeyCode('0'.repeat(18) + 'Z')}/claim`, { accountId: partner }, 404, 'KEY_NOT_FOUND');

    // Typed in lower case without dashes, the key is still recognised (and recorded canonically).
    const claimB = await ok(`/v1/keys/${keyB!.replaceAll('-', '').toLowerCase()}/claim`, { accountId: partner });
    expect(claimB).toMatchObject({ keyCode: keyB, modelCode: modelB });
    expect(claimB.licenseIds).toHaveLength(1);
  });

  it('(4) auto-associate binds to the device with no license first, then to the one expiring first; a second term license extends the device', async () => {
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const deviceModel = `FW-${sfx()}`;
    const twoYears = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 730, deviceModels: [deviceModel] });
    const oneYear = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    // Registered first, so that only its later expiry can put it after d2.
    const d1 = await registerDevice(customer, deviceModel);
    const d2 = await registerDevice(customer, deviceModel);
    await registerDevice(customer, `OTHER-${sfx()}`); // never eligible: the model does not fit

    // d1 already has a license, valid for two years.
    const [existing] = await licensesFor(customer, twoYears, 1);
    const d1Binding = (await ok(`/v1/devices/${d1}/bindings`, { licenseId: existing })).bindings[0];
    const d1Until: string = d1Binding.validUntil;

    // One license, auto-associated: d2 has none of the category, so it goes first.
    const t0 = Date.now();
    const one = await ok(`/v1/keys/${await keyFor(customer, oneYear, 1)}/claim`, { accountId: customer, autoAssociate: true });
    const t1 = Date.now();
    expect(one.bindings).toEqual([{ licenseId: one.licenseIds[0], deviceId: d2, channel: null, validUntil: expect.any(String) }]);
    const d2Bound = (await lastEvent(`license-${one.licenseIds[0]}`)).data as Json;
    expect(d2Bound).toMatchObject({ deviceId: d2, autoAssociated: true, validUntil: one.bindings[0].validUntil });
    expectNear(d2Bound.validFrom, t0, t1);
    expect(one.bindings[0].validUntil).toBe(addDays(d2Bound.validFrom, 365));
    const d2Until: string = one.bindings[0].validUntil;
    expect(Date.parse(d2Until)).toBeLessThan(Date.parse(d1Until));

    // Three more: d2 expires first, then d1; each device gets one, the third license stays available.
    const three = await ok(`/v1/keys/${await keyFor(customer, oneYear, 3)}/claim`, { accountId: customer, autoAssociate: true });
    expect(three.licenseIds).toHaveLength(3);
    expect(three.bindings).toEqual([
      { licenseId: three.licenseIds[0], deviceId: d2, channel: null, validUntil: addDays(d2Until, 365) },
      { licenseId: three.licenseIds[1], deviceId: d1, channel: null, validUntil: addDays(d1Until, 365) },
    ]);
    // The second term license extends the device's validity: it starts where the previous one ends.
    expect((await lastEvent(`license-${three.licenseIds[0]}`)).data).toMatchObject({ deviceId: d2, validFrom: d2Until, autoAssociated: true });
    expect((await lastEvent(`license-${three.licenseIds[1]}`)).data).toMatchObject({ deviceId: d1, validFrom: d1Until, autoAssociated: true });
    expect(await streamTypes(`license-${three.licenseIds[2]}`)).toEqual(['LicenseIssued']);
    expect((await lastEvent(`device-${d2}`)).data).toMatchObject({ licenseId: three.licenseIds[0], category: 'pro', validFrom: d2Until });

    // Without autoAssociate nothing is bound.
    const plain = await ok(`/v1/keys/${await keyFor(customer, oneYear, 1)}/claim`, { accountId: customer });
    expect(plain.bindings).toEqual([]);
    expect(await streamTypes(`license-${plain.licenseIds[0]}`)).toEqual(['LicenseIssued']);
  });

  it('(4) claiming MSP licenses extends the MSP portal, and a second MSP key stacks onto it', async () => {
    const msp = await openAccount('partner');
    const mspModel = await defineModel({ bindsTo: 'msp-portal', category: 'msp', termDays: 30 });
    const t0 = Date.now();
    const first = await ok(`/v1/keys/${await keyFor(msp, mspModel, 1)}/claim`, { accountId: msp });
    const t1 = Date.now();
    expect(first).toMatchObject({ accountId: msp, modelCode: mspModel, bindings: [], mspPortalValidUntil: expect.any(String) });
    expectNear(first.mspPortalValidUntil, t0 + 30 * DAY_MS, t1 + 30 * DAY_MS);

    const second = await ok(`/v1/keys/${await keyFor(msp, mspModel, 2)}/claim`, { accountId: msp });
    expect(second.licenseIds).toHaveLength(2);
    expect(second.mspPortalValidUntil).toBe(addDays(first.mspPortalValidUntil, 60));

    const portal = (await streamEvents(`account-${msp}`)).filter((e) => e.type === 'MspPortalExtended').map((e) => e.data);
    expect(portal).toEqual([
      expect.objectContaining({ licenseId: first.licenseIds[0], termDays: 30, validUntil: first.mspPortalValidUntil }),
      expect.objectContaining({ licenseId: second.licenseIds[0], termDays: 30, validFrom: first.mspPortalValidUntil, validUntil: addDays(first.mspPortalValidUntil, 30) }),
      expect.objectContaining({ licenseId: second.licenseIds[1], termDays: 30, validFrom: addDays(first.mspPortalValidUntil, 30), validUntil: second.mspPortalValidUntil }),
    ]);
    // A license already applied to the portal is not applied twice.
    await refused(`/v1/licenses/${first.licenseIds[0]}/msp-portal`, undefined, 422, 'LICENSE_BOUND');
  });

  it('(5) a deployment is installed (signed file), renewed (new signed file), uninstalled, and never installed again', async () => {
    const partner = await openAccount('partner');
    const endUser = await openAccount('customer', partner);
    const serverModel = await defineModel({ bindsTo: 'deployment', category: 'server', termDays: null, seats: 25 });
    await licensesFor(partner, serverModel, 2);
    const serverId = `hw-${sfx()}`;
    const maintenance1 = new Date(Date.now() + 365 * DAY_MS).toISOString();
    const deployment = await ok('/v1/deployments', { creatorId: partner, ownerId: endUser, serverId, lines: [{ modelCode: serverModel, quantity: 2 }], maintenanceUntil: maintenance1 });
    const id: string = deployment.deploymentId;

    const keyRes = await http().get('/v1/signing-key').expect(200);
    const publicKey = keyRes.body;
    expect(publicKey).toMatchObject({ keyId: expect.stringMatching(/^[0-9a-f]{16}$/), algorithm: 'Ed25519', publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY') });

    const installed = await ok(`/v1/deployments/${id}/installation`, undefined, { key: `install-${sfx()}` });
    expect(installed).toEqual({ deploymentId: id, maintenanceUntil: maintenance1, fileNo: 1, file: expect.any(Object), position: expect.any(Number) });
    expect(installed.file).toMatchObject({ format: 'ledger-signed/1', algorithm: 'Ed25519', keyId: publicKey.keyId, signature: expect.stringMatching(/^[A-Za-z0-9_-]+$/) });
    expect(installed.file.payload).toEqual({
      format: 'ledger-license-file/1',
      deploymentId: id,
      serverId,
      ownerId: endUser,
      fileNo: 1,
      issuedAt: expect.any(String),
      maintenanceUntil: maintenance1,
      licenses: deployment.licenseIds.map((licenseId: string) => ({ licenseId, modelCode: serverModel, category: 'server', seats: 25, perpetual: true })),
    });
    // Verified offline: with the helper, and with node:crypto alone.
    expect(verifySignedDocument(installed.file, publicKey.publicKeyPem)).toBe(true);
    expect(verify(null, Buffer.from(canonicalJson(installed.file.payload), 'utf8'), createPublicKey(publicKey.publicKeyPem), Buffer.from(installed.file.signature, 'base64url'))).toBe(true);
    const tampered = { ...installed.file, payload: { ...installed.file.payload, maintenanceUntil: '2099-12-31T00:00:00.000Z' } };
    expect(verifySignedDocument(tampered, publicKey.publicKeyPem)).toBe(false);
    // Installing again hands back the same file and writes nothing.
    expect(await ok(`/v1/deployments/${id}/installation`)).toEqual({ ...installed, position: null });

    // Renewed: a new file (number 2) with the new maintenance date, signed too.
    const maintenance2 = new Date(Date.parse(maintenance1) + 365 * DAY_MS).toISOString();
    const renewed = await ok(`/v1/deployments/${id}/maintenance`, { until: maintenance2 });
    expect(renewed).toMatchObject({ deploymentId: id, maintenanceUntil: maintenance2, fileNo: 2 });
    expect(renewed.file.payload).toMatchObject({ deploymentId: id, fileNo: 2, maintenanceUntil: maintenance2, licenses: installed.file.payload.licenses });
    expect(verifySignedDocument(renewed.file, publicKey.publicKeyPem)).toBe(true);
    expect(renewed.file.signature).not.toBe(installed.file.signature);
    await refused(`/v1/deployments/${id}/maintenance`, { until: maintenance1 }, 422, 'MAINTENANCE_NOT_EXTENDED');

    // Uninstalled for good.
    const uninstalled = await ok(`/v1/deployments/${id}/uninstallation`);
    expect(uninstalled).toEqual({ deploymentId: id, licenseIds: deployment.licenseIds, position: expect.any(Number) });
    for (const licenseId of deployment.licenseIds) expect((await lastEvent(`license-${licenseId}`)).type).toBe('LicenseUninstalled');
    expect(await streamTypes(`deployment-${id}`)).toEqual(['DeploymentCreated', 'DeploymentInstalled', 'MaintenanceRenewed', 'DeploymentUninstalled']);

    const reinstall = await refused(`/v1/deployments/${id}/installation`, undefined, 422, 'DEPLOYMENT_UNINSTALLED');
    expect(reinstall.details).toEqual({ deploymentId: id });
    await refused(`/v1/deployments/${id}/maintenance`, { until: new Date(Date.parse(maintenance2) + DAY_MS).toISOString() }, 422, 'DEPLOYMENT_UNINSTALLED');
    // The end user cannot put the same licenses into another deployment either.
    await refused('/v1/deployments', { creatorId: endUser, ownerId: endUser, serverId, lines: [{ licenseId: deployment.licenseIds[0] }] }, 422, 'LICENSE_UNINSTALLED');
    await refused(`/v1/deployments/${randomUUID()}/installation`, undefined, 404, 'DEPLOYMENT_NOT_FOUND');
  });

  // ================================================================== ledger guarantees

  it('idempotency: a retry with the same key answers the first response and writes nothing; the key reused for another request is refused', async () => {
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    await licensesFor(partner, model, 3);
    const key = `sale-${sfx()}`;
    const body = { buyerId: customer, lines: [{ modelCode: model, quantity: 1 }] };

    const first = await post(`/v1/accounts/${partner}/sales`, body, { key });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const head = await storeHead();
    expect(head.position).toBe(first.body.position);

    const retry = await post(`/v1/accounts/${partner}/sales`, body, { key });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await storeHead()).toEqual(head);

    // Another request under the same key: refused, not answered with the first outcome.
    const reused = await refused(`/v1/accounts/${partner}/sales`, { ...body, lines: [{ modelCode: model, quantity: 2 }] }, 422, 'IDEMPOTENCY_KEY_REUSED', { key });
    expect(reused.details).toEqual({ commandId: key });
    await refused(`/v1/accounts/${partner}/allocations`, { toAccountId: customer, modelCode: model, quantity: 1 }, 422, 'IDEMPOTENCY_KEY_REUSED', { key });
    expect(await storeHead()).toEqual(head);

    // The next command's position shows no extra event in between: a sale writes two (superseded, issued).
    const next = await ok(`/v1/accounts/${partner}/sales`, body, { key: `sale-${sfx()}` });
    expect(next.position).toBe(first.body.position + 2);
    expect(next.licenseIds).not.toEqual(first.body.licenseIds);

    // A retry still gets the first answer when the command would now be refused (the key is claimed).
    const keyCode = await keyFor(partner, model, 1);
    const claimKey = `claim-${sfx()}`;
    const claim = await post(`/v1/keys/${keyCode}/claim`, { accountId: partner }, { key: claimKey });
    expect(claim.status).toBe(201);
    const claimHead = await storeHead();
    const claimRetry = await post(`/v1/keys/${keyCode}/claim`, { accountId: partner }, { key: claimKey });
    expect(claimRetry.status).toBe(201);
    expect(claimRetry.headers['idempotent-replayed']).toBe('true');
    expect(claimRetry.body).toEqual(claim.body);
    expect(await storeHead()).toEqual(claimHead);
    // Without the key, the same request is a new command, and refused.
    await refused(`/v1/keys/${keyCode}/claim`, { accountId: partner }, 409, 'KEY_ALREADY_CLAIMED');
  });

  it('records the authenticated principal as the actor, with the command id (Idempotency-Key), the correlation id and on whose behalf', async () => {
    const partner = await openAccount('partner');
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const keyCode = await keyFor(partner, model, 2);
    const asPartner = await kit.apiKey('partner', partner);
    const commandId = `claim-${sfx()}`;
    const correlationId = `portal-session-${sfx()}`;
    const claim = await ok(`/v1/keys/${keyCode}/claim`, { accountId: partner }, { as: asPartner.key, key: commandId, correlationId });

    const written = [
      (await streamEvents(`key-${keyCode}`)).find((e) => e.type === 'KeyClaimed')!,
      ...(await Promise.all(claim.licenseIds.map((id: string) => streamEvents(`license-${id}`)))).flat(),
    ];
    expect(written).toHaveLength(3);
    for (const event of written) {
      // The partner acted for itself: no one else to act on behalf of.
      expect(event.metadata).toEqual({ actor: `key:${asPartner.keyId}`, commandId, correlationId, causationId: null, recordedAt: expect.any(String) });
      expect(event.globalPosition).toBeLessThanOrEqual(claim.position);
    }
    expect(Math.max(...written.map((e) => e.globalPosition))).toBe(claim.position);

    // Whatever X-Actor says is not believed; a generated command id, the request id as correlation id.
    const customer = await openAccount('customer', partner);
    const res = await kit.http(asPartner.key).post('/v1/devices').set('X-Actor', 'someone-else@example.com').set('X-Request-Id', `req-${sfx()}`).send({ ownerId: customer, serial: `SN-${sfx()}`, model: 'M', channels: 0 });
    expect(res.status).toBe(201);
    const [registered] = await streamEvents(`device-${res.body.deviceId}`);
    // The partner registered a device of its customer's: on the customer's behalf.
    expect(registered!.metadata).toMatchObject({ actor: `key:${asPartner.keyId}`, onBehalfOf: customer, commandId: expect.stringMatching(UUID), correlationId: res.headers['x-request-id'] });
  });

  it('writes nothing when a command is refused', async () => {
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const deviceModel = `GW-${sfx()}`;
    const channelModel = await defineModel({ bindsTo: 'channel', category: 'channel', termDays: 365, deviceModels: [deviceModel] });
    const [license] = await licensesFor(partner, channelModel, 1);
    const device = await registerDevice(customer, deviceModel, 2);
    const keyCode = await keyFor(partner, channelModel, 1);
    await ok(`/v1/keys/${keyCode}/claim`, { accountId: partner });

    const before = await storeHead();
    // Refusals late in a decision, after several streams were read (and a hand-off was decided in memory).
    await refused(`/v1/devices/${device}/bindings`, { fromAccountId: partner, modelCode: channelModel, quantity: 1, channels: [3] }, 422, 'CHANNEL_OUT_OF_RANGE', { key: `refused-${sfx()}` });
    await refused(`/v1/keys/${keyCode}/claim`, { accountId: customer }, 409, 'KEY_ALREADY_CLAIMED');
    await refused(`/v1/accounts/${partner}/sales`, { buyerId: customer, lines: [{ modelCode: channelModel, quantity: 3 }] }, 422, 'INSUFFICIENT_LICENSES');
    await refused(`/v1/accounts/${partner}/sales`, { buyerId: customer, lines: [{ licenseId: license }, { modelCode: channelModel, quantity: 2 }] }, 422, 'INSUFFICIENT_LICENSES');
    await refused('/v1/accounts', { kind: 'customer', name: 'Orphan', parentId: randomUUID() }, 404, 'ACCOUNT_NOT_FOUND');
    await refused('/v1/accounts', { kind: 'customer', name: 'Nested', parentId: customer }, 422, 'INVALID_PARENT');
    expect(await storeHead()).toEqual(before);
    expect(await streamTypes(`license-${license}`)).toEqual(['LicenseIssued']);

    // And the next successful command follows on directly: one hand-off (2 events) and one binding (2 events).
    const bound = await ok(`/v1/devices/${device}/bindings`, { fromAccountId: partner, modelCode: channelModel, quantity: 1, channels: [2] });
    expect(bound.position).toBe(before.position + 4);
    expect((await storeHead()).events).toBe(before.events + 4);
  });

  it('refuses bad input with 400/404/409 and the code to act on, never a 500', async () => {
    const partner = await openAccount('partner');
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });

    // Unknown field: VALIDATION_FAILED, pointing at the field.
    const unknown = await refused('/v1/accounts', { kind: 'customer', name: 'Typo Ltd', parentId: partner, emial: 'x@example.com' }, 400, 'VALIDATION_FAILED');
    expect(unknown.errors).toEqual([{ pointer: '/emial', detail: 'unknown field' }]);
    const nested = await refused('/v1/purchase-orders', { poNumber: `PO-${sfx()}`, buyerId: partner, deliveryEmails: ['a@example.com'], lines: [{ modelCode: model, quantity: 1, qty: 2 }] }, 400, 'VALIDATION_FAILED');
    expect(nested.errors).toEqual([{ pointer: '/lines/0/qty', detail: 'unknown field' }]);
    const missing = await refused('/v1/devices', { ownerId: partner, model: 'X' }, 400, 'VALIDATION_FAILED');
    expect(missing.errors).toEqual([expect.objectContaining({ pointer: '/serial' })]);

    // A path id that is not a UUID.
    const badId = await refused('/v1/accounts/not-a-uuid/allocations', { toAccountId: partner, modelCode: model, quantity: 1 }, 400, 'VALIDATION_FAILED');
    expect(badId.errors).toEqual([{ pointer: '/path/id', detail: 'must be a UUID' }]);
    await refused('/v1/devices/12345/bindings', { licenseId: randomUUID() }, 400, 'VALIDATION_FAILED');
    await refused('/v1/deployments/..%2F..%2Fetc/installation', undefined, 400, 'VALIDATION_FAILED');

    // Malformed JSON and a body that is not JSON.
    const malformed = await http().post('/v1/accounts').set('Content-Type', 'application/json').send('{"kind": "customer",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('MALFORMED_JSON');
    const form = await http().post('/v1/accounts').set('Content-Type', 'application/x-www-form-urlencoded').send('kind=customer');
    expect(form.status).toBe(415);
    expect(form.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    kit.answers.push({ method: 'POST', path: '/v1/accounts', status: malformed.status, body: malformed.body }, { method: 'POST', path: '/v1/accounts', status: form.status, body: form.body });

    // Purchase orders: delivery e-mails are mandatory; quantities are positive; PO numbers are unique.
    const poNumber = `PO-${sfx()}`;
    const noEmails = await refused('/v1/purchase-orders', { poNumber, buyerId: partner, deliveryEmails: [], lines: [{ modelCode: model, quantity: 1 }] }, 400, 'PO_DELIVERY_EMAILS_REQUIRED');
    expect(noEmails.errors).toEqual([{ pointer: '/deliveryEmails', detail: noEmails.detail }]);
    await refused('/v1/purchase-orders', { poNumber, buyerId: partner, lines: [{ modelCode: model, quantity: 1 }] }, 400, 'VALIDATION_FAILED');
    const zero = await refused('/v1/purchase-orders', { poNumber, buyerId: partner, deliveryEmails: ['a@example.com'], lines: [{ modelCode: model, quantity: 0 }] }, 400, 'QUANTITY_NOT_POSITIVE');
    expect(zero.errors).toEqual([{ pointer: '/lines/0/quantity', detail: zero.detail }]);
    await refused('/v1/purchase-orders', { poNumber, buyerId: partner, deliveryEmails: ['a@example.com'], lines: [{ modelCode: model, quantity: -3 }] }, 400, 'QUANTITY_NOT_POSITIVE');
    await refused(`/v1/accounts/${partner}/allocations`, { toAccountId: partner, modelCode: model, quantity: 0 }, 400, 'QUANTITY_NOT_POSITIVE');
    await ok('/v1/purchase-orders', { poNumber, buyerId: partner, deliveryEmails: ['a@example.com'], lines: [{ modelCode: model, quantity: 1 }] });
    const taken = await refused('/v1/purchase-orders', { poNumber, buyerId: partner, deliveryEmails: ['b@example.com'], lines: [{ modelCode: model, quantity: 2 }] }, 409, 'PO_NUMBER_TAKEN');
    expect(taken.details).toEqual({ poNumber });

    // Device serials are unique, whatever the case or spacing.
    const serial = `SN-${sfx()}`;
    await ok('/v1/devices', { ownerId: partner, serial, model: 'X1' });
    const serialTaken = await refused('/v1/devices', { ownerId: partner, serial: ` ${serial.toLowerCase()} `, model: 'X1' }, 409, 'DEVICE_SERIAL_TAKEN');
    expect(serialTaken.details).toEqual({ serial: serial.toUpperCase() });

    // Unknown accounts.
    const nobody = randomUUID();
    const notFound = await refused('/v1/devices', { ownerId: nobody, serial: `SN-${sfx()}`, model: 'X1' }, 404, 'ACCOUNT_NOT_FOUND');
    expect(notFound.details).toEqual({ accountId: nobody });
    await refused('/v1/purchase-orders', { poNumber: `PO-${sfx()}`, buyerId: nobody, deliveryEmails: ['a@example.com'], lines: [{ modelCode: model, quantity: 1 }] }, 404, 'ACCOUNT_NOT_FOUND');
    await refused(`/v1/accounts/${nobody}/sales`, { buyerId: partner, lines: [{ modelCode: model, quantity: 1 }] }, 404, 'ACCOUNT_NOT_FOUND');
    await refused(`/v1/keys/${await keyFor(partner, model, 1)}/claim`, { accountId: nobody }, 404, 'ACCOUNT_NOT_FOUND');
    await refused('/v1/purchase-orders/PO-NOPE-0/fulfilment', {}, 404, 'PURCHASE_ORDER_NOT_FOUND');

    // Values that would break a stream id, a date or a term further down: refused at the door, with a pointer.
    const accented = await refused('/v1/devices', { ownerId: partner, serial: 'SÉRIE-1', model: 'X1' }, 400, 'VALIDATION_FAILED');
    expect(accented.errors).toEqual([{ pointer: '/serial', detail: 'must be printable ASCII' }]);
    const surrogate = await refused('/v1/accounts', { kind: 'customer', name: 'Bad \ud800 name', parentId: partner }, 400, 'VALIDATION_FAILED');
    expect(surrogate.errors).toEqual([expect.objectContaining({ pointer: '/name' })]);
    const century = await refused('/v1/license-models', { code: `M-${sfx()}`, name: 'forever', category: 'pro', bindsTo: 'device', termDays: 40_000 }, 400, 'VALIDATION_FAILED');
    expect(century.errors).toEqual([expect.objectContaining({ pointer: '/termDays' })]);
    const farFuture = await refused('/v1/purchase-orders', { poNumber: `PO-${sfx()}`, buyerId: partner, deliveryEmails: ['a@example.com'], lines: [{ modelCode: model, quantity: 1, forcedActivationDate: '9999-12-31T00:00:00Z' }] }, 400, 'VALIDATION_FAILED');
    expect(farFuture.errors).toEqual([{ pointer: '/lines/0/forcedActivationDate', detail: 'must be in the years 2000 to 2999' }]);
    await refused('/v1/purchase-orders', { poNumber: `PO-${sfx()}`, buyerId: partner, deliveryEmails: ['a@example.com'], lines: [{ modelCode: model, quantity: 30_001 }] }, 400, 'QUANTITY_TOO_LARGE');
    // A route without a body refuses one with fields rather than ignoring them.
    const extra = await refused(`/v1/licenses/${randomUUID()}/msp-portal`, { accountId: partner }, 400, 'VALIDATION_FAILED');
    expect(extra.errors).toEqual([{ pointer: '/accountId', detail: 'unknown field' }]);
  });

  // ================================================================== found while writing these tests (see the report)

  it('a key\'s forced activation date starts its licenses\' term at that date at the latest, bound or not', async () => {
    // events.ts (PurchaseOrderLine.forcedActivationDate): "The licenses' terms start at this date at the latest, activated or not."
    const customer = await openAccount('customer');
    const deviceModel = `AP-${sfx()}`;
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const forced = new Date(Date.now() - 100 * DAY_MS).toISOString();
    const poNumber = `PO-${sfx()}`;
    await ok('/v1/purchase-orders', { poNumber, buyerId: customer, deliveryEmails: ['orders@example.com'], lines: [{ modelCode: model, quantity: 1, forcedActivationDate: forced }] });
    const [key] = (await ok(`/v1/purchase-orders/${poNumber}/fulfilment`)).keys;
    expect((await streamEvents(`key-${key.keyCode}`))[0]!.data).toMatchObject({ forcedActivationDate: forced });
    const [license] = (await ok(`/v1/keys/${key.keyCode}/claim`, { accountId: customer })).licenseIds;
    expect((await streamEvents(`license-${license}`))[0]!.data).toMatchObject({ forcedActivationDate: forced });

    // Bound 100 days after its forced activation, to a device with no license yet: the term's clock
    // started then, so the device is covered from now until the forced date plus the term.
    const device = await registerDevice(customer, deviceModel);
    const t0 = Date.now();
    const bound = await ok(`/v1/devices/${device}/bindings`, { licenseId: license });
    expect(bound.bindings).toEqual([{ licenseId: license, channel: null, validFrom: expect.any(String), validUntil: addDays(forced, 365), handedOnFrom: null }]);
    expectNear(bound.bindings[0].validFrom, t0, Date.now());
  });

  it('takes a UUID in upper case in a body as the same id, as it does in a path', async () => {
    const partner = await openAccount('partner');
    const customer = await openAccount('customer', partner);
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    await licensesFor(partner, model, 2);
    // In the path, an upper-case UUID names the same account (IdParam lower-cases it)...
    const byPath = await ok(`/v1/accounts/${partner.toUpperCase()}/sales`, { buyerId: customer, lines: [{ modelCode: model, quantity: 1 }] });
    expect(byPath).toMatchObject({ fromAccountId: partner, toAccountId: customer });
    // ...and so it must in a body, which the schema accepts as a valid UUID.
    const byBody = await ok(`/v1/accounts/${partner}/sales`, { buyerId: customer.toUpperCase(), lines: [{ modelCode: model, quantity: 1 }] });
    expect(byBody).toMatchObject({ fromAccountId: partner, toAccountId: customer });
  });

  it('twenty concurrent bindings of one license to twenty devices: exactly one wins, the others are told it is bound', async () => {
    const customer = await openAccount('customer');
    const deviceModel = `SW-${sfx()}`;
    const model = await defineModel({ bindsTo: 'device', category: 'pro', termDays: 365, deviceModels: [deviceModel] });
    const [license] = await licensesFor(customer, model, 1);
    const devices: string[] = [];
    for (let i = 0; i < 20; i++) devices.push(await registerDevice(customer, deviceModel));

    const results = await Promise.all(devices.map((device) => post(`/v1/devices/${device}/bindings`, { licenseId: license })));
    const statuses = results.map((r) => `${r.status} ${r.body.code ?? ''}`.trim());
    const winners = results.filter((r) => r.status === 201);
    expect(winners).toHaveLength(1);
    expect(statuses.filter((s) => s !== '201')).toEqual(Array(19).fill('409 LICENSE_ALREADY_BOUND'));

    const bound = (await streamEvents(`license-${license}`)).filter((e) => e.type === 'LicenseBound');
    expect(bound).toHaveLength(1);
    const winner = devices[results.indexOf(winners[0]!)]!;
    expect(bound[0]!.data).toMatchObject({ licenseId: license, deviceId: winner });
    for (const device of devices) expect(await streamTypes(`device-${device}`)).toEqual(device === winner ? ['DeviceRegistered', 'DeviceLicenseBound'] : ['DeviceRegistered']);
  });
});

