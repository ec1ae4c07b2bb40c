import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { existingAccount, existingLicense, handOff, requireAvailable } from '../../rules';
import { streamId } from '../../streams';
import type { HandOffResult } from '../allocate-seat/allocate-seat.decider';

export interface MoveLicense {
  now: string;
  licenseId: string;
  toAccountId: string;
  successorId: string;
}

/** Between organizations (customers) of the same partner. */
export const moveLicense: Decider<MoveLicense, HandOffResult> = {
  name: 'MoveLicense',
  decide(c, facts) {
    const license = existingLicense(facts, c.licenseId);
    facts.require(streamId.account(license.ownerId), streamId.account(c.toAccountId));
    requireAvailable(license);
    const from = existingAccount(facts, license.ownerId);
    const to = existingAccount(facts, c.toAccountId, '/toAccountId');
    const samePartner = from.kind === 'customer' && to.kind === 'customer' && from.parentId !== null && from.parentId === to.parentId;
    if (!samePartner || from.accountId === to.accountId)
      refuse('NOT_SAME_PARTNER', `license ${c.licenseId} can only move to another organization of the same partner as ${from.accountId}`, { fromAccountId: from.accountId, toAccountId: to.accountId }, '/toAccountId');
    const { events, successor } = handOff(license, to.accountId, 'move', c.successorId, c.now);
    return { events, result: { fromAccountId: from.accountId, toAccountId: to.accountId, licenseIds: [successor.licenseId], supersededIds: [c.licenseId] } };
  },
};
