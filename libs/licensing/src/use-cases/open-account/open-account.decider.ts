import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import type { AccountKind } from '../../events';
import { existingAccount } from '../../rules';
import { streamId } from '../../streams';

export interface OpenAccount {
  now: string;
  /** New Customer ID, chosen by the caller of the domain. */
  accountId: string;
  kind: AccountKind;
  name: string;
  /** The vendor or partner the account belongs to; null only for the vendor. */
  parentId: string | null;
  emails: string[];
}

export const openAccount: Decider<OpenAccount, { accountId: string }> = {
  name: 'OpenAccount',
  decide(c, facts) {
    facts.require(streamId.account(c.accountId), ...(c.parentId ? [streamId.account(c.parentId)] : []));
    // Opening the same account again (same id) is an outcome that already holds.
    if (facts.account(c.accountId).exists) return { events: [], result: { accountId: c.accountId } };
    if (c.kind === 'vendor') {
      if (c.parentId !== null) refuse('INVALID_PARENT', 'the vendor account has no parent', {}, '/parentId');
    } else {
      if (c.parentId === null) refuse('INVALID_PARENT', `a ${c.kind} account needs a parent (the vendor or a partner)`, {}, '/parentId');
      const parent = existingAccount(facts, c.parentId, '/parentId');
      if (parent.kind === 'customer')
        refuse('INVALID_PARENT', `account ${c.parentId} is a customer; only the vendor or a partner can have ${c.kind}s`, { parentId: c.parentId }, '/parentId');
    }
    return {
      events: [
        [
          streamId.account(c.accountId),
          { type: 'AccountOpened', data: { accountId: c.accountId, kind: c.kind, name: c.name, parentId: c.parentId, emails: c.emails, openedAt: c.now } },
        ],
      ],
      result: { accountId: c.accountId },
    };
  },
};
