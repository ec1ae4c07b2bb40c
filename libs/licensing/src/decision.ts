import type { LedgerEvent } from './events';
import type {
  AccountState, ApiKeyState, DeploymentState, DeviceState, KeyState, LicenseModelState, LicenseState, PurchaseOrderState, SerialState,
} from './streams';

/**
 * What a decider may ask of the ledger. Getters return the folded state of a
 * stream (its initial state, `exists: false`, when it has no events). The
 * command handler loads lazily: a getter for something not loaded yet throws
 * NeedsData, the handler fetches it and runs decide again (decide is pure, so
 * running it again is safe). `require` names several streams at once so that
 * they are fetched in one round trip.
 */
export interface Facts {
  account(id: string): AccountState;
  model(code: string): LicenseModelState;
  purchaseOrder(poNumber: string): PurchaseOrderState;
  key(keyCode: string): KeyState;
  license(id: string): LicenseState;
  device(id: string): DeviceState;
  serial(serial: string): SerialState;
  deployment(id: string): DeploymentState;
  apiKey(keyId: string): ApiKeyState;
  /** Declares streams the decision needs, so that all missing ones load at once. */
  require(...streamIds: string[]): void;
  /**
   * Up to `quantity` available licenses of one owner and model in pick order
   * (earliest expiry, then oldest, then License ID), and how many are
   * available in all, leaving out those whose term ran out unused by `now`.
   * Picks come from an index: the licenses' own streams decide (see
   * pickLicenses).
   */
  available(ownerId: string, modelCode: string, quantity: number, now: string): AvailableLicenses;
  /** Ids of an owner's devices, oldest first. */
  devicesOf(ownerId: string): string[];
}

export interface AvailableLicenses {
  licenseIds: string[];
  available: number;
}

export type DataRef =
  | { kind: 'stream'; streamId: string }
  | { kind: 'available'; ownerId: string; modelCode: string; quantity: number; now: string }
  | { kind: 'devices'; ownerId: string };

/** Thrown by Facts while loading lazily; never a refusal. */
export class NeedsData {
  constructor(readonly refs: DataRef[]) {}
}

/**
 * A license picked from the index was no longer available when its stream
 * was read (another command took it in between): the handler retries, as for
 * a version conflict.
 */
export class StalePick {
  constructor(readonly licenseId: string) {}
}

export type Emitted = readonly [streamId: string, event: LedgerEvent];

export interface Decision<Result> {
  /** In order; every stream read is also version-checked by the append, written or not. */
  events: Emitted[];
  result: Result;
}

/**
 * A use case of the ledger: pure, deterministic, no I/O. Time and new ids are
 * fields of the command.
 */
export interface Decider<Command, Result> {
  /** The command's name, e.g. `ClaimKey`. */
  readonly name: string;
  decide(command: Command, facts: Facts): Decision<Result>;
}
