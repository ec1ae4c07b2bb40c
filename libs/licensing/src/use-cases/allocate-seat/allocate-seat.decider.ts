import type { Decider } from '../../decision';
import { existingAccount, handOffAll, pickLicenses, requireEndUser, requirePositive } from '../../rules';
import { streamId } from '../../streams';

export interface AllocateSeat {
  now: string;
  /** The partner allocating its licenses. */
  fromAccountId: string;
  /** One of its customers (a user account). */
  toAccountId: string;
  modelCode: string;
  quantity: number;
  successorSeed: string;
}

export interface HandOffResult {
  fromAccountId: string;
  toAccountId: string;
  /** The successors' License IDs, in the receiver's inventory. */
  licenseIds: string[];
  /** The predecessors, kept read-only for tracking, in the same order. */
  supersededIds: string[];
}

export const allocateSeat: Decider<AllocateSeat, HandOffResult> = {
  name: 'AllocateSeat',
  decide(c, facts) {
    requirePositive(c.quantity, '/quantity');
    facts.require(streamId.account(c.fromAccountId), streamId.account(c.toAccountId));
    existingAccount(facts, c.fromAccountId);
    requireEndUser(existingAccount(facts, c.toAccountId, '/toAccountId'), c.fromAccountId, '/toAccountId');
    const licenses = pickLicenses(facts, c.fromAccountId, c.modelCode, c.quantity, c.now, '/quantity');
    const { events, successors } = handOffAll(licenses, c.toAccountId, 'allocation', c.successorSeed, c.now);
    return {
      events,
      result: { fromAccountId: c.fromAccountId, toAccountId: c.toAccountId, licenseIds: successors.map((s) => s.licenseId), supersededIds: licenses.map((l) => l.licenseId) },
    };
  },
};
