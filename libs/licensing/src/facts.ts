import { type AvailableLicenses, type DataRef, type Emitted, type Facts, NeedsData } from './decision';
import type { LedgerEvent } from './events';
import { licenseIndexRow, licenseOrder } from './index-rows';
import {
  type AnyState, type DeviceState, type LicenseState, type StateOf, type StreamKind, evolve, fold, initialState, streamId, streamKind,
} from './streams';

interface Loaded {
  version: number;
  state: AnyState;
}

/**
 * Facts held in memory. `complete` facts know every stream there is (the unit
 * tests' "given" events): a stream they were not given does not exist, and
 * picks are computed from the licenses they hold. Otherwise (the command
 * handler) anything not loaded yet throws NeedsData, and the handler loads it.
 */
export class KnownFacts implements Facts {
  private readonly streams = new Map<string, Loaded>();
  private readonly picks = new Map<string, AvailableLicenses>();
  private readonly devices = new Map<string, string[]>();

  private constructor(private readonly complete: boolean) {}

  /** Everything there is: the given events, folded. */
  static given(events: readonly Emitted[]): KnownFacts {
    const facts = new KnownFacts(true);
    for (const [id, event] of events) {
      const loaded = facts.streams.get(id) ?? { version: 0, state: initialState(streamKind(id)) as AnyState };
      facts.streams.set(id, { version: loaded.version + 1, state: evolve(streamKind(id), loaded.state, event) });
    }
    return facts;
  }

  /** Nothing yet: filled by the command handler as the decider asks. */
  static lazy(): KnownFacts {
    return new KnownFacts(false);
  }

  loadStream(id: string, version: number, events: readonly LedgerEvent[]): void {
    this.streams.set(id, { version, state: fold(streamKind(id), events) });
  }

  loadAvailable(ref: Extract<DataRef, { kind: 'available' }>, result: AvailableLicenses): void {
    this.picks.set(pickKey(ref.ownerId, ref.modelCode, ref.quantity, ref.now), result);
  }

  loadDevices(ownerId: string, deviceIds: string[]): void {
    this.devices.set(ownerId, deviceIds);
  }

  /** Every stream loaded, with the version it was read at: the append's expectations. */
  versions(): { streamId: string; version: number }[] {
    return [...this.streams].map(([id, { version }]) => ({ streamId: id, version }));
  }

  /** The states of the streams a decision writes, before its events (as loaded). */
  statesBefore(events: readonly Emitted[]): Map<string, AnyState> {
    const before = new Map<string, AnyState>();
    for (const [id] of events) {
      const loaded = this.streams.get(id);
      if (loaded && !before.has(id)) before.set(id, loaded.state);
    }
    return before;
  }

  /** The states of the streams a decision writes, after its events. */
  statesAfter(events: readonly Emitted[]): Map<string, AnyState> {
    const after = new Map<string, AnyState>();
    for (const [id, event] of events) {
      const before = after.get(id) ?? this.streams.get(id)?.state ?? (initialState(streamKind(id)) as AnyState);
      after.set(id, evolve(streamKind(id), before, event));
    }
    return after;
  }

  account = (id: string) => this.get('account', streamId.account(id));
  model = (code: string) => this.get('model', streamId.model(code));
  purchaseOrder = (poNumber: string) => this.get('po', streamId.purchaseOrder(poNumber));
  key = (keyCode: string) => this.get('key', streamId.key(keyCode));
  license = (id: string) => this.get('license', streamId.license(id));
  device = (id: string) => this.get('device', streamId.device(id));
  serial = (serial: string) => this.get('serial', streamId.serial(serial));
  deployment = (id: string) => this.get('deployment', streamId.deployment(id));
  apiKey = (keyId: string) => this.get('apikey', streamId.apiKey(keyId));

  require(...ids: string[]): void {
    const missing = ids.filter((id) => !this.streams.has(id));
    if (missing.length === 0) return;
    if (this.complete) return;
    throw new NeedsData([...new Set(missing)].map((id) => ({ kind: 'stream', streamId: id })));
  }

  available(ownerId: string, modelCode: string, quantity: number, now: string): AvailableLicenses {
    const known = this.picks.get(pickKey(ownerId, modelCode, quantity, now));
    if (known) return known;
    if (!this.complete) throw new NeedsData([{ kind: 'available', ownerId, modelCode, quantity, now }]);
    const candidates = this.statesOf<LicenseState>('license')
      .filter((s) => s.exists && s.ownerId === ownerId && s.model.code === modelCode && s.status === 'available' && !expiredBy(s, now))
      .sort(licenseOrder);
    return { licenseIds: candidates.slice(0, quantity).map((s) => s.licenseId), available: candidates.length };
  }

  devicesOf(ownerId: string): string[] {
    const known = this.devices.get(ownerId);
    if (known) return known;
    if (!this.complete) throw new NeedsData([{ kind: 'devices', ownerId }]);
    return this.statesOf<DeviceState>('device')
      .filter((s) => s.exists && s.ownerId === ownerId)
      .sort((a, b) => Date.parse(a.registeredAt) - Date.parse(b.registeredAt) || (a.deviceId < b.deviceId ? -1 : 1))
      .map((s) => s.deviceId);
  }

  private statesOf<S extends AnyState>(kind: StreamKind): S[] {
    return [...this.streams].filter(([id]) => streamKind(id) === kind).map(([, loaded]) => loaded.state as S);
  }

  private get<K extends StreamKind>(kind: K, id: string): StateOf[K] {
    const loaded = this.streams.get(id);
    if (loaded) return loaded.state as StateOf[K];
    if (!this.complete) throw new NeedsData([{ kind: 'stream', streamId: id }]);
    return initialState(kind);
  }
}

function pickKey(ownerId: string, modelCode: string, quantity: number, now: string): string {
  return JSON.stringify([ownerId, modelCode, quantity, now]);
}

/** The index's own notion of expiry (licenseIndexRow), so that memory and SQL pick alike. */
function expiredBy(license: LicenseState, now: string): boolean {
  const { expiresAt } = licenseIndexRow(license);
  return expiresAt !== null && Date.parse(expiresAt) <= Date.parse(now);
}
