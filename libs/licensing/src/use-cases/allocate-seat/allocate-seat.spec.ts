import { KnownFacts } from '../../facts';
import { deriveId } from '../../ids';
import { given } from '../../testing';
import { licenseBoundToDevice, licenseHandedOn, licenseIssued, licenseSuperseded, terms, twoPartners } from '../../test-builders';
import { type AllocateSeat, allocateSeat } from './allocate-seat.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const VPN = terms({ code: 'VPN-25-SEATS', category: 'vpn-seats', bindsTo: 'account', termDays: 365, seats: 25 });

function world() {
  return { ...twoPartners(id, [VPN]), seed: id() };
}

const allocate = (w: { partnerId: string; customerId: string; seed: string }, o: Partial<AllocateSeat> = {}): AllocateSeat => ({
  now: NOW, fromAccountId: w.partnerId, toAccountId: w.customerId, modelCode: VPN.code, quantity: 1, successorSeed: w.seed, ...o,
});

describe('AllocateSeat', () => {
  it("hands the partner's licenses to its customer: predecessors superseded, successors issued to the customer, earliest expiry first", () => {
    const w = world();
    const [late, early, never] = [id(), id(), id()];
    const events = [
      ...w.events,
      ...licenseIssued({ licenseId: never, ownerId: w.partnerId, model: VPN }),
      ...licenseIssued({ licenseId: late, ownerId: w.partnerId, model: VPN, forcedActivationDate: '2025-05-01T00:00:00.000Z' }),
      ...licenseIssued({ licenseId: early, ownerId: w.partnerId, model: VPN, forcedActivationDate: '2025-04-01T00:00:00.000Z' }),
    ];
    given(events)
      .when(allocateSeat, allocate(w, { quantity: 2 }))
      .then([
        ...licenseHandedOn({ licenseId: early, successorId: deriveId(w.seed, 0), toAccountId: w.customerId, model: VPN, reason: 'allocation', at: NOW, forcedActivationDate: '2025-04-01T00:00:00.000Z' }),
        ...licenseHandedOn({ licenseId: late, successorId: deriveId(w.seed, 1), toAccountId: w.customerId, model: VPN, reason: 'allocation', at: NOW, forcedActivationDate: '2025-05-01T00:00:00.000Z' }),
      ]);
    expect(given(events).when(allocateSeat, allocate(w, { quantity: 2 })).decision().result).toEqual({
      fromAccountId: w.partnerId, toAccountId: w.customerId, licenseIds: [deriveId(w.seed, 0), deriveId(w.seed, 1)], supersededIds: [early, late],
    });
  });

  it('links the lineage both ways: the predecessor is superseded, read-only, the successor available to the customer', () => {
    const w = world();
    const licenseId = id();
    const events = [...w.events, ...licenseIssued({ licenseId, ownerId: w.partnerId, model: VPN })];
    const decision = given(events).when(allocateSeat, allocate(w)).decision();
    const after = KnownFacts.given([...events, ...decision.events]);
    const predecessor = after.license(licenseId);
    const successor = after.license(w.seed);
    expect(predecessor).toMatchObject({ ownerId: w.partnerId, status: 'superseded', successor: { licenseId: w.seed, accountId: w.customerId, reason: 'allocation' } });
    expect(successor).toMatchObject({ ownerId: w.customerId, status: 'available', predecessorId: licenseId, model: VPN });
    expect(successor.licenseId).not.toBe(licenseId);
    given([...events, ...decision.events]).when(allocateSeat, allocate(w, { successorSeed: id() })).thenRefused('INSUFFICIENT_LICENSES', { requested: 1, available: 0 });
  });

  it('refuses an account that is not one of the partner\'s customers (NOT_AN_END_USER)', () => {
    const w = world();
    const events = [...w.events, ...licenseIssued({ licenseId: id(), ownerId: w.partnerId, model: VPN })];
    for (const toAccountId of [w.othersCustomerId, w.otherPartnerId]) {
      const refusal = given(events).when(allocateSeat, allocate(w, { toAccountId })).thenRefused('NOT_AN_END_USER', { accountId: toAccountId, sellerId: w.partnerId });
      expect(refusal.kind).toBe('rule');
      expect(refusal.pointer).toBe('/toAccountId');
    }
  });

  it('refuses more seats than available (INSUFFICIENT_LICENSES), not counting bound or superseded licenses', () => {
    const w = world();
    const [bound, superseded] = [id(), id()];
    const events = [
      ...w.events,
      ...licenseIssued({ licenseId: id(), ownerId: w.partnerId, model: VPN }),
      ...licenseIssued({ licenseId: id(), ownerId: w.partnerId, model: VPN }),
      ...licenseIssued({ licenseId: bound, ownerId: w.partnerId, model: VPN }),
      ...licenseBoundToDevice({ licenseId: bound, deviceId: id(), category: VPN.category, validUntil: null }),
      ...licenseIssued({ licenseId: superseded, ownerId: w.partnerId, model: VPN }),
      ...licenseSuperseded({ licenseId: superseded, successorId: id(), toAccountId: w.customerId }),
      ...licenseIssued({ licenseId: id(), ownerId: w.customerId, model: VPN }),
    ];
    const refusal = given(events).when(allocateSeat, allocate(w, { quantity: 3 })).thenRefused('INSUFFICIENT_LICENSES', { modelCode: VPN.code, requested: 3, available: 2 });
    expect(refusal.kind).toBe('rule');
    expect(refusal.pointer).toBe('/quantity');
  });

  it('refuses a quantity that is not positive (QUANTITY_NOT_POSITIVE)', () => {
    const w = world();
    expect(given(w.events).when(allocateSeat, allocate(w, { quantity: 0 })).thenRefused('QUANTITY_NOT_POSITIVE').kind).toBe('invalid');
  });

  it('refuses an unknown receiver (ACCOUNT_NOT_FOUND)', () => {
    const w = world();
    expect(given(w.events).when(allocateSeat, allocate(w, { toAccountId: id() })).thenRefused('ACCOUNT_NOT_FOUND').kind).toBe('not_found');
  });
});
