/**
 * The ledger's state the command benchmark needs, made over HTTP as a client
 * would: a partner and its customer under the vendor, a device-bound term
 * model, and supplies of licenses (purchase order, fulfilment, claim),
 * devices (RegisterDevice) and allocations (AllocateSeat) on demand.
 */
import { HttpClient, mapConcurrent } from './http-client';

/** The vendor account the ledger opens on its first start (LEDGER_VENDOR_ACCOUNT_ID; see docs/configuration.md). */
export const VENDOR_ACCOUNT_ID = '00000000-0000-7000-8000-000000000001';
export const MODEL_CODE = 'BENCH-TERM-1Y';
export const DEVICE_MODEL = 'BENCH-AP';
/** A PO line of at most this many licenses: one key, one claim. */
const KEY_QUANTITY = 10_000;
/** Licenses moved per AllocateSeat: an allocation reads every license it moves, one stream at a time. */
const ALLOCATION_CHUNK = 1_000;
const SETUP_CONCURRENCY = 16;

export interface BindPair {
  deviceId: string;
  licenseId: string;
}

interface Key {
  keyCode: string;
  quantity: number;
}

export class LedgerFixture {
  readonly http: HttpClient;
  partnerId = '';
  customerId = '';
  private serials = 0;
  private orders = 0;

  /** The partner's own API key: what its portal backend would send. */
  partnerKey = '';

  constructor(
    baseUrl: string,
    private readonly runId: string,
    /** The ledger's admin key (LEDGER_ADMIN_KEY): the set-up is vendor staff's work. */
    adminKey: string,
  ) {
    this.http = new HttpClient(baseUrl, SETUP_CONCURRENCY, { authorization: `Bearer ${adminKey}` });
  }

  /**
   * Until the projectors have applied everything written so far (at most 2
   * minutes): set-up writes thousands of events between rounds, and the
   * runner that came first after it would otherwise share the machine with
   * the projector catching up.
   */
  async projectionsSettled(): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const answer = await this.http.send('GET', '/v1/projections');
      const body = JSON.parse(answer.text) as { projections?: { lagEvents: number }[] };
      if (answer.status === 200 && body.projections?.every((p) => p.lagEvents === 0)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the projectors did not catch up with the set-up within 2 minutes');
  }

  async setup(): Promise<void> {
    this.partnerId = (await this.http.command<{ accountId: string }>('/v1/accounts', { kind: 'partner', name: 'Bench partner', parentId: VENDOR_ACCOUNT_ID })).accountId;
    this.customerId = (await this.http.command<{ accountId: string }>('/v1/accounts', { kind: 'customer', name: 'Bench customer', parentId: this.partnerId })).accountId;
    this.partnerKey = (await this.http.command<{ key: string }>('/v1/api-keys', { accountId: this.partnerId, role: 'partner', name: 'Bench partner portal' })).key;
    await this.http.command('/v1/license-models', {
      code: MODEL_CODE,
      name: 'Bench 1-year device license',
      category: 'pro',
      bindsTo: 'device',
      termDays: 365,
      deviceModels: [DEVICE_MODEL],
    });
  }

  /** One purchase order by the partner with one line (one key) per quantity, fulfilled. */
  async issueKeys(quantities: readonly number[]): Promise<Key[]> {
    const poNumber = `BENCH-${this.runId}-${++this.orders}`;
    await this.http.command('/v1/purchase-orders', {
      poNumber,
      buyerId: this.partnerId,
      deliveryEmails: ['bench@example.com'],
      lines: quantities.map((quantity) => ({ modelCode: MODEL_CODE, quantity })),
    });
    const { keys } = await this.http.command<{ keys: Key[] }>(`/v1/purchase-orders/${poNumber}/fulfilment`, {});
    return keys;
  }

  claim(keyCode: string, accountId: string): Promise<{ licenseIds: string[] }> {
    return this.http.command(`/v1/keys/${keyCode}/claim`, { accountId });
  }

  /** `quantity` more available licenses in the partner's inventory: keys of up to 10,000, each claimed. */
  async supplyPartner(quantity: number): Promise<void> {
    const lines: number[] = [];
    for (let left = quantity; left > 0; left -= KEY_QUANTITY) lines.push(Math.min(left, KEY_QUANTITY));
    if (lines.length === 0) return;
    for (const key of await this.issueKeys(lines)) await this.claim(key.keyCode, this.partnerId);
  }

  /** Moves `quantity` of the partner's licenses to its customer (successors issued): the ids the customer now holds. */
  async allocateToCustomer(quantity: number): Promise<string[]> {
    const ids: string[] = [];
    for (let left = quantity; left > 0; left -= ALLOCATION_CHUNK) {
      const { licenseIds } = await this.http.command<{ licenseIds: string[] }>(`/v1/accounts/${this.partnerId}/allocations`, {
        toAccountId: this.customerId,
        modelCode: MODEL_CODE,
        quantity: Math.min(left, ALLOCATION_CHUNK),
      });
      ids.push(...licenseIds);
    }
    return ids;
  }

  async registerDevices(count: number): Promise<string[]> {
    const serials = Array.from({ length: count }, () => `BENCH-${this.runId}-${++this.serials}`);
    return mapConcurrent(serials, SETUP_CONCURRENCY, async (serial) => {
      const { deviceId } = await this.http.command<{ deviceId: string }>('/v1/devices', { ownerId: this.customerId, serial, model: DEVICE_MODEL });
      return deviceId;
    });
  }

  /** `count` devices of the customer, each with a license of the customer's own to bind to it (no hand-off). */
  async bindPairs(count: number): Promise<BindPair[]> {
    if (count <= 0) return [];
    await this.supplyPartner(count);
    // Different streams (the allocation only checks the customer's account): both at once.
    const [licenseIds, deviceIds] = await Promise.all([this.allocateToCustomer(count), this.registerDevices(count)]);
    return deviceIds.map((deviceId, i) => ({ deviceId, licenseId: licenseIds[i]! }));
  }

  close(): void {
    this.http.close();
  }
}
