import type { Decider } from '../../decision';
import { type HandOffLine, existingAccount, handOffAll, licensesForLines, requireEndUser } from '../../rules';
import { streamId } from '../../streams';
import type { HandOffResult } from '../allocate-seat/allocate-seat.decider';

export interface SellToEnduser {
  now: string;
  sellerId: string;
  buyerId: string;
  /** By model and quantity (picked: earliest expiry, then oldest) or by License ID. */
  lines: HandOffLine[];
  successorSeed: string;
}

/** Only to the seller's own customers, never licenses that are bound or deployed. */
export const sellToEnduser: Decider<SellToEnduser, HandOffResult> = {
  name: 'SellToEnduser',
  decide(c, facts) {
    facts.require(streamId.account(c.sellerId), streamId.account(c.buyerId));
    existingAccount(facts, c.sellerId);
    requireEndUser(existingAccount(facts, c.buyerId, '/buyerId'), c.sellerId, '/buyerId');
    const licenses = licensesForLines(facts, c.sellerId, c.lines, c.now);
    const { events, successors } = handOffAll(licenses, c.buyerId, 'sale', c.successorSeed, c.now);
    return { events, result: { fromAccountId: c.sellerId, toAccountId: c.buyerId, licenseIds: successors.map((s) => s.licenseId), supersededIds: licenses.map((l) => l.licenseId) } };
  },
};
