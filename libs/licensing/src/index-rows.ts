import type { DeviceState, LicenseState, LicenseStatus } from './streams';
import { addDays } from './time';

/**
 * The write-side index the command handler keeps in the same transaction as
 * its appends, so that commands asking for "3 licenses of model X" can pick
 * them without reading every license of an account. The licenses' own
 * streams stay the arbiter (their expected versions are checked).
 */
export interface LicenseIndexRow {
  licenseId: string;
  ownerId: string;
  modelCode: string;
  status: LicenseStatus;
  /** When an unbound license expires anyway (its key's forced activation plus its term); null: not before it is bound. */
  expiresAt: string | null;
  issuedAt: string;
}

export interface DeviceIndexRow {
  deviceId: string;
  ownerId: string;
  model: string;
  registeredAt: string;
}

export function licenseIndexRow(s: LicenseState): LicenseIndexRow {
  return {
    licenseId: s.licenseId,
    ownerId: s.ownerId,
    modelCode: s.model.code,
    status: s.status,
    expiresAt: s.binding?.validUntil ?? (s.forcedActivationDate && s.model.termDays !== null ? addDays(s.forcedActivationDate, s.model.termDays) : null),
    issuedAt: s.issuedAt,
  };
}

export function deviceIndexRow(s: DeviceState): DeviceIndexRow {
  return { deviceId: s.deviceId, ownerId: s.ownerId, model: s.model, registeredAt: s.registeredAt };
}

/**
 * Pick order for licenses asked by quantity: earliest expiry first (those
 * that never expire last), then the oldest, then by License ID so that the
 * order is total. The SQL index sorts the same way (license_id COLLATE "C").
 */
export function licenseOrder(a: LicenseState, b: LicenseState): number {
  const ra = licenseIndexRow(a);
  const rb = licenseIndexRow(b);
  const ea = ra.expiresAt === null ? Infinity : Date.parse(ra.expiresAt);
  const eb = rb.expiresAt === null ? Infinity : Date.parse(rb.expiresAt);
  if (ea !== eb) return ea < eb ? -1 : 1;
  const ia = Date.parse(ra.issuedAt);
  const ib = Date.parse(rb.issuedAt);
  if (ia !== ib) return ia - ib;
  return ra.licenseId < rb.licenseId ? -1 : ra.licenseId > rb.licenseId ? 1 : 0;
}
