import { given } from '../../testing';
import { accountsLinked, partner, vendorOpened } from '../../test-builders';
import { linkAccounts } from './link-accounts.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

function twoPartners() {
  const vendorId = id();
  const a = id();
  const b = id();
  return { a, b, events: [...vendorOpened(vendorId), ...partner(a, vendorId), ...partner(b, vendorId)] };
}

describe('LinkAccounts', () => {
  it('records the link on both sides', () => {
    const { a, b, events } = twoPartners();
    given(events)
      .when(linkAccounts, { now: NOW, accountId: a, linkedAccountId: b })
      .then([
        [`account-${a}`, { type: 'AccountLinked', data: { accountId: a, linkedAccountId: b, linkedAt: NOW } }],
        [`account-${b}`, { type: 'AccountLinked', data: { accountId: b, linkedAccountId: a, linkedAt: NOW } }],
      ]);
  });

  it('records nothing when linking again, from either side', () => {
    const { a, b, events } = twoPartners();
    const linked = [...events, ...accountsLinked(a, b)];
    given(linked).when(linkAccounts, { now: NOW, accountId: a, linkedAccountId: b }).thenNothing();
    given(linked).when(linkAccounts, { now: NOW, accountId: b, linkedAccountId: a }).thenNothing();
    expect(given(linked).when(linkAccounts, { now: NOW, accountId: a, linkedAccountId: b }).decision().result).toEqual({ accountId: a, linkedAccountId: b });
  });

  it('refuses to link an account to itself (LINK_TO_SELF)', () => {
    const { a, events } = twoPartners();
    const refusal = given(events).when(linkAccounts, { now: NOW, accountId: a, linkedAccountId: a }).thenRefused('LINK_TO_SELF');
    expect(refusal.kind).toBe('invalid');
  });

  it('refuses an unknown account on either side (ACCOUNT_NOT_FOUND)', () => {
    const { a, events } = twoPartners();
    const unknown = id();
    expect(given(events).when(linkAccounts, { now: NOW, accountId: a, linkedAccountId: unknown }).thenRefused('ACCOUNT_NOT_FOUND', { accountId: unknown }).kind).toBe('not_found');
    expect(given(events).when(linkAccounts, { now: NOW, accountId: unknown, linkedAccountId: a }).thenRefused('ACCOUNT_NOT_FOUND', { accountId: unknown }).kind).toBe('not_found');
  });
});
