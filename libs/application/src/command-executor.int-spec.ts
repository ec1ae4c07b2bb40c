import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { type EventStore, openEventStore, uuidv7 } from '@ledger/event-store';
import {
  type LedgerEvent, type LicenseState, claimKey, defineLicenseModel, fold, formatKeyCode, fulfilPurchaseOrder, licenseIndexRow, openAccount,
  placePurchaseOrder, registerDevice, sellToEnduser, bindDevice, DomainError,
} from '@ledger/licensing';
import { CommandExecutor, type CommandEnvelope } from './command-executor';
import { ApplicationError } from './errors';
import { migrateLicenseIndex } from './license-index';

const databaseUrl = process.env['DATABASE_URL'];

interface Backend {
  name: string;
  open(): Promise<{ store: EventStore; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  { name: 'PGlite', open: async () => {
    const { store } = await openEventStore({});
    return { store, dispose: () => store.close() };
  } },
  ...(databaseUrl
    ? [{ name: 'PostgreSQL', open: async () => {
        const schema = `app_test_${randomBytes(6).toString('hex')}`;
        const { store } = await openEventStore({ databaseUrl, schema, poolSize: 8 });
        return { store, dispose: async () => {
          await store.close();
          const admin = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
          await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        } };
      } }]
    : []),
];

const now = '2026-11-23T10:00:00.000Z';
const envelope = (overrides: Partial<CommandEnvelope> = {}): CommandEnvelope => ({ commandId: randomUUID(), actor: 'tester', correlationId: randomUUID(), ...overrides });
const keyCode = () => formatKeyCode([...randomBytes(19)].map((b) => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[b % 32]).join(''));

describe.each(backends)('CommandExecutor on $name', (backend) => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  let executor: CommandExecutor;
  const vendorId = uuidv7();

  beforeAll(async () => {
    ({ store, dispose } = await backend.open());
    await migrateLicenseIndex(store);
    executor = new CommandExecutor(store);
    await executor.execute(openAccount, { now, accountId: vendorId, kind: 'vendor', name: 'Vendor', parentId: null, emails: [] }, envelope());
  });
  afterAll(() => dispose?.());

  /** A partner holding `quantity` claimed licenses of a fresh model, and one of its customers. */
  async function partnerWithLicenses(quantity: number) {
    const partnerId = uuidv7();
    const customerId = uuidv7();
    const modelCode = `M-${randomBytes(4).toString('hex')}`;
    await executor.execute(openAccount, { now, accountId: partnerId, kind: 'partner', name: 'P', parentId: vendorId, emails: [] }, envelope());
    await executor.execute(openAccount, { now, accountId: customerId, kind: 'customer', name: 'C', parentId: partnerId, emails: [] }, envelope());
    await executor.execute(defineLicenseModel, { now, code: modelCode, name: 'm', category: 'pro', bindsTo: 'device', termDays: 365, seats: 1, deviceModels: [] }, envelope());
    const code = await unclaimedKey(partnerId, modelCode, quantity);
    const claim = await executor.execute(claimKey, { now, keyCode: code, accountId: partnerId, autoAssociate: false, licenseIdSeed: uuidv7() }, envelope());
    return { partnerId, customerId, modelCode, licenseIds: claim.result.licenseIds };
  }

  async function unclaimedKey(buyerId: string, modelCode: string, quantity: number): Promise<string> {
    const poNumber = `PO-${randomBytes(4).toString('hex')}`;
    await executor.execute(placePurchaseOrder, { now, poNumber, buyerId, deliveryEmails: ['a@b.test'], lines: [{ modelCode, quantity }] }, envelope());
    const { result } = await executor.execute(fulfilPurchaseOrder, { now, poNumber, keyCodes: [keyCode()], validUntil: null }, envelope());
    return result.keys[0]!.keyCode;
  }

  async function lastPosition(): Promise<number> {
    const [row] = await store.sql.query<{ max: string | null }>('SELECT max(global_position)::text AS max FROM ledger_events');
    return Number(row?.max ?? 0);
  }

  it('records the envelope on every event and answers the last position', async () => {
    const { partnerId } = await partnerWithLicenses(1);
    const env = envelope({ actor: 'alice on behalf of bob', causationId: 'upstream-7' });
    const deviceId = uuidv7();
    const outcome = await executor.execute(registerDevice, { now, deviceId, ownerId: partnerId, serial: `SN-${randomUUID()}`, model: 'X', channels: 0 }, env);
    expect(outcome).toMatchObject({ replayed: false, commandId: env.commandId, position: await lastPosition() });
    const { events } = await store.readStream(`device-${deviceId}`);
    expect(events[0]!.metadata).toMatchObject({ actor: 'alice on behalf of bob', commandId: env.commandId, correlationId: env.correlationId, causationId: 'upstream-7' });
  });

  it('answers a retried command with its first outcome, even once deciding again would be refused', async () => {
    const { partnerId, modelCode } = await partnerWithLicenses(1);
    const code = await unclaimedKey(partnerId, modelCode, 3);
    const env = envelope();
    const command = { now, keyCode: code, accountId: partnerId, autoAssociate: false, licenseIdSeed: uuidv7() };
    const first = await executor.execute(claimKey, command, env);
    const before = await lastPosition();
    // A retry carries a new seed and time (the HTTP layer makes them per request): still the first answer.
    const again = await executor.execute(claimKey, { ...command, licenseIdSeed: uuidv7(), now: '2026-11-24T00:00:00.000Z' }, env);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await lastPosition()).toBe(before);
    // Without the key, the same claim is refused: the key is claimed.
    await expect(executor.execute(claimKey, command, envelope())).rejects.toMatchObject({ code: 'KEY_ALREADY_CLAIMED' });
  });

  it('refuses an idempotency key reused for a different request', async () => {
    const { partnerId } = await partnerWithLicenses(1);
    const env = envelope({ fingerprint: 'request-a' });
    const command = { now, deviceId: uuidv7(), ownerId: partnerId, serial: `SN-${randomUUID()}`, model: 'X', channels: 0 };
    await executor.execute(registerDevice, command, env);
    await expect(executor.execute(registerDevice, command, { ...env, fingerprint: 'request-b' })).rejects.toEqual(expect.any(ApplicationError));
    await expect(executor.execute(registerDevice, command, { ...env, fingerprint: 'request-b' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await executor.execute(registerDevice, command, env)).replayed).toBe(true);
  });

  it('writes nothing, index included, when a command is refused', async () => {
    const { partnerId, customerId, modelCode } = await partnerWithLicenses(2);
    const before = await lastPosition();
    const indexBefore = await store.sql.query('SELECT * FROM licensing_licenses ORDER BY license_id');
    await expect(
      executor.execute(sellToEnduser, { now, sellerId: partnerId, buyerId: customerId, lines: [{ modelCode, quantity: 3 }], successorSeed: uuidv7() }, envelope()),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_LICENSES', details: { requested: 3, available: 2 } });
    expect(await lastPosition()).toBe(before);
    expect(await store.sql.query('SELECT * FROM licensing_licenses ORDER BY license_id')).toEqual(indexBefore);
  });

  it('concurrent sales of the same seller never sell one license twice', async () => {
    const { partnerId, customerId, modelCode, licenseIds } = await partnerWithLicenses(8);
    const sales = await Promise.all(
      Array.from({ length: 8 }, () => executor.execute(sellToEnduser, { now, sellerId: partnerId, buyerId: customerId, lines: [{ modelCode, quantity: 1 }], successorSeed: uuidv7() }, envelope())),
    );
    const sold = sales.flatMap((s) => s.result.supersededIds);
    expect(new Set(sold).size).toBe(8);
    expect(new Set(sold)).toEqual(new Set(licenseIds));
    await expect(
      executor.execute(sellToEnduser, { now, sellerId: partnerId, buyerId: customerId, lines: [{ modelCode, quantity: 1 }], successorSeed: uuidv7() }, envelope()),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_LICENSES', details: { available: 0 } });
  });

  it('sales picking by quantity and bindings naming the same licenses by ID settle without a deadlock', async () => {
    const { partnerId, customerId, modelCode, licenseIds } = await partnerWithLicenses(6);
    const devices = await Promise.all(licenseIds.map(async () => {
      const deviceId = uuidv7();
      await executor.execute(registerDevice, { now, deviceId, ownerId: customerId, serial: `SN-${randomUUID()}`, model: 'X', channels: 0 }, envelope());
      return deviceId;
    }));
    const outcomes = await Promise.allSettled([
      ...licenseIds.map((licenseId, i) =>
        executor.execute(bindDevice, { now, deviceId: devices[i]!, source: { licenseId }, channels: [], successorSeed: uuidv7() }, envelope())),
      ...[1, 2, 3].map(() =>
        executor.execute(sellToEnduser, { now, sellerId: partnerId, buyerId: customerId, lines: [{ modelCode, quantity: 2 }], successorSeed: uuidv7() }, envelope())),
    ]);
    // Each license went exactly one way; every loser was told why by the domain, none failed otherwise.
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
    for (const reason of refused) expect(reason).toBeInstanceOf(DomainError);
    const used = outcomes.flatMap((o) => {
      if (o.status !== 'fulfilled') return [];
      const result = o.value.result as { bindings?: { handedOnFrom: string | null }[]; supersededIds?: string[] };
      return result.supersededIds ?? (result.bindings ?? []).map((b) => b.handedOnFrom!);
    });
    expect(used.sort()).toEqual([...licenseIds].sort());
  });

  it('keeps the license index equal to a fold of the license streams', async () => {
    await partnerWithLicenses(3);
    const rows = await store.sql.query<{ stream_id: string; events: LedgerEvent[] }>(
      `SELECT stream_id, json_agg(json_build_object('type', event_type, 'data', data) ORDER BY stream_position) AS events
       FROM ledger_events WHERE stream_id LIKE 'license-%' GROUP BY stream_id`,
    );
    const expected = rows
      .map((r) => licenseIndexRow(fold('license', r.events) as LicenseState))
      .map((r) => ({ ...r, expiresAt: r.expiresAt && new Date(r.expiresAt).toISOString(), issuedAt: new Date(r.issuedAt).toISOString() }))
      .sort((a, b) => (a.licenseId < b.licenseId ? -1 : 1));
    const actual = (await store.sql.query<{ license_id: string; owner_id: string; model_code: string; status: string; expires_at: string | Date | null; issued_at: string | Date }>(
      'SELECT * FROM licensing_licenses ORDER BY license_id',
    )).map((r) => ({
      licenseId: r.license_id, ownerId: r.owner_id, modelCode: r.model_code, status: r.status,
      expiresAt: r.expires_at && new Date(r.expires_at).toISOString(), issuedAt: new Date(r.issued_at).toISOString(),
    }));
    expect(actual.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });
});
