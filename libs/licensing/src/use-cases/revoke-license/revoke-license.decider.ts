import type { Decider, Emitted, Facts } from '../../decision';
import { refuse } from '../../errors';
import { existingLicense } from '../../rules';
import { type DeviceState, type LicenseState, PERPETUAL, streamId } from '../../streams';
import { isBefore, later } from '../../time';

export interface RevokeLicense {
  now: string;
  licenseId: string;
  reason: string;
}

/**
 * The vendor withdraws a license wherever it is: a bound license stops
 * covering its device (or channel) and a license applied to an MSP portal
 * stops extending it. Revoking it again records nothing.
 */
export const revokeLicense: Decider<RevokeLicense, { licenseId: string; status: 'revoked' }> = {
  name: 'RevokeLicense',
  decide(c, facts) {
    const license = existingLicense(facts, c.licenseId);
    const result = { licenseId: c.licenseId, status: 'revoked' as const };
    if (license.status === 'revoked') return { events: [], result };
    if (license.status === 'superseded')
      refuse('LICENSE_SUPERSEDED', `license ${c.licenseId} was superseded by ${license.successor?.licenseId}; revoke that one`, { licenseId: c.licenseId, successorId: license.successor?.licenseId ?? null });
    if (license.status === 'uninstalled') refuse('LICENSE_UNINSTALLED', `license ${c.licenseId} was uninstalled permanently`, { licenseId: c.licenseId });
    if (c.reason.trim() === '') refuse('INVALID_COMMAND', 'a reason is required', {}, '/reason');
    return {
      events: [[streamId.license(c.licenseId), { type: 'LicenseRevoked', data: { licenseId: c.licenseId, reason: c.reason, revokedAt: c.now } }], ...withdrawal(license, facts, c.now)],
      result,
    };
  },
};

/** What a bound license stops giving, on the stream that counted it. */
function withdrawal(license: LicenseState, facts: Facts, now: string): Emitted[] {
  const binding = license.status === 'bound' ? license.binding : null;
  if (binding?.deviceId) {
    const device = facts.device(binding.deviceId);
    const granted = device.bindings[license.licenseId];
    if (!granted) return [];
    const validUntil = granted.channel === null ? categoryValidityWithout(device, license.licenseId, granted, now) : null;
    return [
      [
        streamId.device(binding.deviceId),
        { type: 'DeviceLicenseRevoked', data: { deviceId: binding.deviceId, licenseId: license.licenseId, category: granted.category, channel: granted.channel, validUntil, revokedAt: now } },
      ],
    ];
  }
  if (binding?.mspAccountId) {
    const account = facts.account(binding.mspAccountId);
    const validUntil = shortened(account.mspPortalValidUntil, binding.validFrom, binding.validUntil, now);
    return [[streamId.account(binding.mspAccountId), { type: 'MspPortalShortened', data: { accountId: binding.mspAccountId, licenseId: license.licenseId, validUntil, shortenedAt: now } }]];
  }
  return [];
}

/**
 * A term license stacked onto the category's validity: what it had not yet
 * given (from the later of now and its start, to its end) comes off the end.
 * A perpetual one: the category is as valid as the other licenses still make it.
 */
function categoryValidityWithout(device: DeviceState, licenseId: string, granted: { category: string; validFrom: string; validUntil: string | null }, now: string): string | null {
  const current = device.validUntil[granted.category] ?? null;
  if (granted.validUntil === null) {
    const others = Object.entries(device.bindings).filter(([id, b]) => id !== licenseId && b.category === granted.category && b.channel === null);
    if (others.some(([, b]) => b.validUntil === null)) return PERPETUAL;
    return others.reduce<string | null>((latest, [, b]) => (latest === null || isBefore(latest, b.validUntil!) ? b.validUntil : latest), null);
  }
  if (current === PERPETUAL) return PERPETUAL;
  return shortened(current, granted.validFrom, granted.validUntil, now);
}

function shortened(current: string | null, validFrom: string, validUntil: string | null, now: string): string | null {
  if (current === null || validUntil === null) return current;
  const unused = Math.max(0, Date.parse(validUntil) - Date.parse(later(now, validFrom)));
  return new Date(Date.parse(current) - unused).toISOString();
}
