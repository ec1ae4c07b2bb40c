import type { Decider, Emitted } from '../../decision';
import { refuse } from '../../errors';
import { existingAccount, existingLicense, requireAvailable, requireNotExpired } from '../../rules';
import { type AccountState, type LicenseState, streamId } from '../../streams';
import { later, termEnd } from '../../time';

export interface ExtendMspPortal {
  now: string;
  licenseId: string;
}

export interface ExtendMspPortalResult {
  licenseId: string;
  accountId: string;
  mspPortalValidUntil: string;
}

/** An msp-portal license extends its owner's MSP portal by its term (claiming one applies it at once). */
export const extendMspPortal: Decider<ExtendMspPortal, ExtendMspPortalResult> = {
  name: 'ExtendMspPortal',
  decide(c, facts) {
    const license = existingLicense(facts, c.licenseId);
    if (license.model.bindsTo !== 'msp-portal')
      refuse('LICENSE_NOT_MSP_PORTAL', `license ${c.licenseId} is a ${license.model.bindsTo} license, not an msp-portal one`, { licenseId: c.licenseId, bindsTo: license.model.bindsTo });
    requireAvailable(license);
    requireNotExpired(license, c.now);
    const account = existingAccount(facts, license.ownerId);
    const { events, validUntil } = extendPortal(account, [license], c.now);
    return { events, result: { licenseId: c.licenseId, accountId: account.accountId, mspPortalValidUntil: validUntil } };
  },
};

/** Stacks each license's term onto the portal's validity, from the later of now and its current end. */
export function extendPortal(account: AccountState, licenses: readonly LicenseState[], now: string): { events: Emitted[]; validUntil: string } {
  const events: Emitted[] = [];
  let validUntil = account.mspPortalValidUntil;
  for (const license of licenses) {
    const termDays = license.model.termDays ?? 0;
    const validFrom = later(now, validUntil);
    validUntil = termEnd(validFrom, termDays, license.forcedActivationDate, now);
    events.push(
      [streamId.license(license.licenseId), { type: 'LicenseAppliedToMspPortal', data: { licenseId: license.licenseId, accountId: account.accountId, validFrom, validUntil, appliedAt: now } }],
      [streamId.account(account.accountId), { type: 'MspPortalExtended', data: { accountId: account.accountId, licenseId: license.licenseId, termDays, validFrom, validUntil, extendedAt: now } }],
    );
  }
  return { events, validUntil: validUntil ?? now };
}
