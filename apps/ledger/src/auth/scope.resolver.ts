import { Inject, Injectable } from '@nestjs/common';
import { type AccessFound, type AccessLookup, EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { streamId } from '@ledger/licensing';
import { AccessLookups } from './access-lookups';
import { KEY_ID } from './credentials';
import type { TargetKind } from './policy';

/** A value that cannot name anything of its kind: validation refuses the request (400) before it does anything. */
export const MALFORMED = Symbol('malformed');

// Upper case too: the routes' validation accepts it and lower-cases.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CODE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
const CACHE_LIMIT = 200_000;

/** Which field of a kind's first event names its owner, and how its ids look. */
const KINDS: Record<TargetKind, { stream: (id: string) => string; owner: string; valid: RegExp; normalize: (id: string) => string }> = {
  account: { stream: streamId.account, owner: 'accountId', valid: UUID, normalize: (id) => id.toLowerCase() },
  license: { stream: streamId.license, owner: 'ownerId', valid: UUID, normalize: (id) => id.toLowerCase() },
  device: { stream: streamId.device, owner: 'ownerId', valid: UUID, normalize: (id) => id.toLowerCase() },
  deployment: { stream: streamId.deployment, owner: 'ownerId', valid: UUID, normalize: (id) => id.toLowerCase() },
  purchaseOrder: { stream: streamId.purchaseOrder, owner: 'buyerId', valid: CODE, normalize: (id) => id },
  apiKey: { stream: streamId.apiKey, owner: 'accountId', valid: KEY_ID, normalize: (id) => id },
};

/**
 * Who owns what, from the write side (the streams), so that a check never
 * lags behind the command that created the thing. Owners and parents never
 * change once recorded (a license keeps its owner for life; a handed-on one
 * gets a successor), so what was found is cached for good; what was not found
 * is asked again next time, since it may exist by then.
 */
@Injectable()
export class ScopeResolver {
  private readonly owners = new Map<string, string>();
  private readonly parents = new Map<string, string | null>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    /** Licenses and devices, the things most requests name: from the write-side index. */
    private readonly lookups: AccessLookups,
  ) {}

  normalize(kind: TargetKind, id: string): string | typeof MALFORMED {
    const spec = KINDS[kind];
    return spec.valid.test(id) ? spec.normalize(id) : MALFORMED;
  }

  /**
   * The account a thing belongs to (an account belongs to itself); null when
   * there is no such thing. `prefetched`: the owners AccessGuard read with the
   * key, for the license and device it asked about.
   */
  async ownerOf(kind: TargetKind, id: string, prefetched?: { asked: AccessLookup; found: AccessFound }): Promise<string | null> {
    const stream = KINDS[kind].stream(id);
    const cached = this.owners.get(stream);
    if (cached !== undefined) return cached;
    if (kind === 'license' || kind === 'device') {
      const asked = kind === 'license' ? { licenseId: id } : { deviceId: id };
      const known = prefetched && (kind === 'license' ? prefetched.asked.licenseId === id : prefetched.asked.deviceId === id);
      const found = known ? prefetched.found : await this.lookups.lookup(asked);
      const owner = kind === 'license' ? found.licenseOwner : found.deviceOwner;
      if (owner === null) return null;
      this.remember(this.owners, stream, owner);
      return owner;
    }
    const { events } = await this.store.readStream(stream, { limit: 1 });
    const first = events[0];
    if (!first) return null;
    const owner = String(first.data[KINDS[kind].owner]);
    if (kind === 'account') this.remember(this.parents, id, (first.data['parentId'] as string | null) ?? null);
    this.remember(this.owners, stream, owner);
    return owner;
  }

  /**
   * A filter for answers that mention other accounts (a license's lineage):
   * everything for the vendor's own callers, else what lies within the
   * principal's account. Owner ids that name no account are outside.
   */
  async within(principal: { accountId: string }, vendorId: string, owners: readonly string[]): Promise<Set<string>> {
    if (principal.accountId === vendorId) return new Set(owners);
    const inside = await Promise.all(owners.map(async (owner) => ((await this.isWithin(principal.accountId, owner)) ? owner : null)));
    return new Set(inside.filter((o): o is string => o !== null));
  }

  /** Whether `accountId` is `root` or an account below it. */
  async isWithin(root: string, accountId: string): Promise<boolean> {
    let current: string | null = accountId;
    // Vendor → partner → customer is three deep; the bound only stops a corrupted cycle.
    for (let depth = 0; current !== null && depth < 16; depth++) {
      if (current === root) return true;
      current = await this.parentOf(current);
    }
    return false;
  }

  private async parentOf(accountId: string): Promise<string | null> {
    const cached = this.parents.get(accountId);
    if (cached !== undefined) return cached;
    await this.ownerOf('account', accountId);
    return this.parents.get(accountId) ?? null;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    // Crude but bounded: the working set refills from the store in one read per entry.
    if (map.size >= CACHE_LIMIT) map.clear();
    map.set(key, value);
  }
}
