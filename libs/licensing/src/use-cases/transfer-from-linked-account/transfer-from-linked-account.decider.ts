import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { type HandOffLine, existingAccount, handOffAll, licensesForLines } from '../../rules';
import { streamId } from '../../streams';
import type { HandOffResult } from '../allocate-seat/allocate-seat.decider';

export interface TransferFromLinkedAccount {
  now: string;
  /** The receiving account: transfers are pulled, never pushed. */
  accountId: string;
  fromAccountId: string;
  lines: HandOffLine[];
  successorSeed: string;
}

export const transferFromLinkedAccount: Decider<TransferFromLinkedAccount, HandOffResult> = {
  name: 'TransferFromLinkedAccount',
  decide(c, facts) {
    facts.require(streamId.account(c.accountId), streamId.account(c.fromAccountId));
    const receiver = existingAccount(facts, c.accountId);
    existingAccount(facts, c.fromAccountId, '/fromAccountId');
    if (!receiver.linked.includes(c.fromAccountId))
      refuse('ACCOUNTS_NOT_LINKED', `accounts ${c.accountId} and ${c.fromAccountId} are not linked`, { accountId: c.accountId, fromAccountId: c.fromAccountId }, '/fromAccountId');
    const licenses = licensesForLines(facts, c.fromAccountId, c.lines, c.now);
    const { events, successors } = handOffAll(licenses, c.accountId, 'transfer', c.successorSeed, c.now);
    return { events, result: { fromAccountId: c.fromAccountId, toAccountId: c.accountId, licenseIds: successors.map((s) => s.licenseId), supersededIds: licenses.map((l) => l.licenseId) } };
  },
};
