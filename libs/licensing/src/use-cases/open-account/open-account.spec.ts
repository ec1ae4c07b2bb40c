import { given } from '../../testing';
import { customer, partner, vendorOpened } from '../../test-builders';
import { type OpenAccount, openAccount } from './open-account.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

function open(o: Pick<OpenAccount, 'accountId' | 'kind' | 'parentId'>): OpenAccount {
  return { now: NOW, name: 'Acme', emails: ['admin@acme.example'], ...o };
}

describe('OpenAccount', () => {
  it('opens the vendor, with no parent', () => {
    const vendorId = id();
    given([])
      .when(openAccount, open({ accountId: vendorId, kind: 'vendor', parentId: null }))
      .then([
        [`account-${vendorId}`, { type: 'AccountOpened', data: { accountId: vendorId, kind: 'vendor', name: 'Acme', parentId: null, emails: ['admin@acme.example'], openedAt: NOW } }],
      ]);
  });

  it('opens a partner under the vendor and a customer under a partner', () => {
    const vendorId = id();
    const partnerId = id();
    const customerId = id();
    given(vendorOpened(vendorId))
      .when(openAccount, open({ accountId: partnerId, kind: 'partner', parentId: vendorId }))
      .then([
        [`account-${partnerId}`, { type: 'AccountOpened', data: { accountId: partnerId, kind: 'partner', name: 'Acme', parentId: vendorId, emails: ['admin@acme.example'], openedAt: NOW } }],
      ]);
    given([...vendorOpened(vendorId), ...partner(partnerId, vendorId)])
      .when(openAccount, open({ accountId: customerId, kind: 'customer', parentId: partnerId }))
      .then([
        [`account-${customerId}`, { type: 'AccountOpened', data: { accountId: customerId, kind: 'customer', name: 'Acme', parentId: partnerId, emails: ['admin@acme.example'], openedAt: NOW } }],
      ]);
  });

  it('opens a customer directly under the vendor', () => {
    const vendorId = id();
    const customerId = id();
    const decision = given(vendorOpened(vendorId)).when(openAccount, open({ accountId: customerId, kind: 'customer', parentId: vendorId })).decision();
    expect(decision.events).toHaveLength(1);
    expect(decision.result).toEqual({ accountId: customerId });
  });

  it('refuses a customer under a customer (INVALID_PARENT)', () => {
    const vendorId = id();
    const partnerId = id();
    const customerId = id();
    const refusal = given([...vendorOpened(vendorId), ...partner(partnerId, vendorId), ...customer(customerId, partnerId)])
      .when(openAccount, open({ accountId: id(), kind: 'customer', parentId: customerId }))
      .thenRefused('INVALID_PARENT', { parentId: customerId });
    expect(refusal.kind).toBe('rule');
    expect(refusal.pointer).toBe('/parentId');
  });

  it('refuses a partner under a customer (INVALID_PARENT)', () => {
    const vendorId = id();
    const customerId = id();
    const refusal = given([...vendorOpened(vendorId), ...customer(customerId, vendorId)])
      .when(openAccount, open({ accountId: id(), kind: 'partner', parentId: customerId }))
      .thenRefused('INVALID_PARENT');
    expect(refusal.kind).toBe('rule');
  });

  it('refuses a partner or customer without a parent, and a vendor with one (INVALID_PARENT)', () => {
    const vendorId = id();
    expect(given(vendorOpened(vendorId)).when(openAccount, open({ accountId: id(), kind: 'customer', parentId: null })).thenRefused('INVALID_PARENT').kind).toBe('rule');
    expect(given(vendorOpened(vendorId)).when(openAccount, open({ accountId: id(), kind: 'partner', parentId: null })).thenRefused('INVALID_PARENT').kind).toBe('rule');
    expect(given(vendorOpened(vendorId)).when(openAccount, open({ accountId: id(), kind: 'vendor', parentId: vendorId })).thenRefused('INVALID_PARENT').kind).toBe('rule');
  });

  it('refuses an unknown parent (ACCOUNT_NOT_FOUND)', () => {
    const unknown = id();
    const refusal = given(vendorOpened(id()))
      .when(openAccount, open({ accountId: id(), kind: 'customer', parentId: unknown }))
      .thenRefused('ACCOUNT_NOT_FOUND', { accountId: unknown });
    expect(refusal.kind).toBe('not_found');
    expect(refusal.pointer).toBe('/parentId');
  });

  it('records nothing when the same account is opened again', () => {
    const vendorId = id();
    const partnerId = id();
    given([...vendorOpened(vendorId), ...partner(partnerId, vendorId)])
      .when(openAccount, open({ accountId: partnerId, kind: 'partner', parentId: vendorId }))
      .thenNothing();
  });
});
