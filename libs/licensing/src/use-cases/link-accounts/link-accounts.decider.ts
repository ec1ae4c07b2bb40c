import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { existingAccount } from '../../rules';
import { streamId } from '../../streams';

export interface LinkAccounts {
  now: string;
  accountId: string;
  linkedAccountId: string;
}

/** Two accounts of the same party; both sides record the link. */
export const linkAccounts: Decider<LinkAccounts, { accountId: string; linkedAccountId: string }> = {
  name: 'LinkAccounts',
  decide(c, facts) {
    if (c.accountId === c.linkedAccountId) refuse('LINK_TO_SELF', 'an account cannot be linked to itself', {}, '/accountId');
    facts.require(streamId.account(c.accountId), streamId.account(c.linkedAccountId));
    const a = existingAccount(facts, c.accountId);
    existingAccount(facts, c.linkedAccountId, '/accountId');
    const result = { accountId: c.accountId, linkedAccountId: c.linkedAccountId };
    if (a.linked.includes(c.linkedAccountId)) return { events: [], result };
    return {
      events: [
        [streamId.account(c.accountId), { type: 'AccountLinked', data: { accountId: c.accountId, linkedAccountId: c.linkedAccountId, linkedAt: c.now } }],
        [streamId.account(c.linkedAccountId), { type: 'AccountLinked', data: { accountId: c.linkedAccountId, linkedAccountId: c.accountId, linkedAt: c.now } }],
      ],
      result,
    };
  },
};
