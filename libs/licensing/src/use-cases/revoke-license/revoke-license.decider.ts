import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { existingLicense } from '../../rules';
import { streamId } from '../../streams';

export interface RevokeLicense {
  now: string;
  licenseId: string;
  reason: string;
}

/** The vendor withdraws a license wherever it is. Revoking it again records nothing. */
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
    return { events: [[streamId.license(c.licenseId), { type: 'LicenseRevoked', data: { licenseId: c.licenseId, reason: c.reason, revokedAt: c.now } }]], result };
  },
};
