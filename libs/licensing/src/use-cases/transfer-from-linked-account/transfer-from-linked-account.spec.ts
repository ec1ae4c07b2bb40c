import type { Emitted } from '../../decision';
import { deriveId } from '../../ids';
import { given } from '../../testing';
import {
  accountsLinked, licenseBoundToDevice, licenseHandedOn, licenseIssued, licenseRevoked, licenseSuperseded, modelDefined, partner, terms, vendorOpened,
} from '../../test-builders';
import { type TransferFromLinkedAccount, transferFromLinkedAccount } from './transfer-from-linked-account.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365 });

/** Two partner accounts of the same party (the receiver and the source), and a third one. */
function world(linked = true) {
  const vendorId = id();
  const receiverId = id();
  const sourceId = id();
  const strangerId = id();
  const events: Emitted[] = [
    ...vendorOpened(vendorId),
    ...partner(receiverId, vendorId),
    ...partner(sourceId, vendorId),
    ...partner(strangerId, vendorId),
    ...modelDefined(AP),
    ...(linked ? accountsLinked(receiverId, sourceId) : []),
  ];
  return { receiverId, sourceId, strangerId, events, seed: id() };
}
type World = ReturnType<typeof world>;

function owned(ownerId: string, issuedAt?: string): [string, Emitted[]] {
  const licenseId = id();
  return [licenseId, licenseIssued({ licenseId, ownerId, model: AP, ...(issuedAt ? { issuedAt } : {}) })];
}

const transfer = (w: World, lines: TransferFromLinkedAccount['lines'], o: Partial<TransferFromLinkedAccount> = {}): TransferFromLinkedAccount => ({
  now: NOW, accountId: w.receiverId, fromAccountId: w.sourceId, lines, successorSeed: w.seed, ...o,
});

describe('TransferFromLinkedAccount', () => {
  it('pulls licenses from a linked account: predecessors superseded, successors owned by the receiver', () => {
    const w = world();
    const [a, aIssued] = owned(w.sourceId, '2025-01-01T00:00:00.000Z');
    const [b, bIssued] = owned(w.sourceId, '2025-01-02T00:00:00.000Z');
    const [c, cIssued] = owned(w.sourceId, '2025-01-03T00:00:00.000Z');
    const events = [...w.events, ...aIssued, ...bIssued, ...cIssued];
    given(events)
      .when(transferFromLinkedAccount, transfer(w, [{ licenseId: c }, { modelCode: AP.code, quantity: 1 }]))
      .then([
        ...licenseHandedOn({ licenseId: c, successorId: deriveId(w.seed, 0), toAccountId: w.receiverId, model: AP, reason: 'transfer', at: NOW }),
        ...licenseHandedOn({ licenseId: a, successorId: deriveId(w.seed, 1), toAccountId: w.receiverId, model: AP, reason: 'transfer', at: NOW }),
      ]);
    expect(given(events).when(transferFromLinkedAccount, transfer(w, [{ modelCode: AP.code, quantity: 3 }])).decision().result).toEqual({
      fromAccountId: w.sourceId, toAccountId: w.receiverId, licenseIds: [0, 1, 2].map((i) => deriveId(w.seed, i)), supersededIds: [a, b, c],
    });
  });

  it('works from either side of the link: the receiver is always the one pulling', () => {
    const w = world();
    const [a, aIssued] = owned(w.receiverId);
    given([...w.events, ...aIssued])
      .when(transferFromLinkedAccount, transfer(w, [{ licenseId: a }], { accountId: w.sourceId, fromAccountId: w.receiverId }))
      .then(licenseHandedOn({ licenseId: a, successorId: w.seed, toAccountId: w.sourceId, model: AP, reason: 'transfer', at: NOW }));
  });

  it('refuses accounts that are not linked (ACCOUNTS_NOT_LINKED)', () => {
    const unlinked = world(false);
    const [a, aIssued] = owned(unlinked.sourceId);
    const refusal = given([...unlinked.events, ...aIssued])
      .when(transferFromLinkedAccount, transfer(unlinked, [{ licenseId: a }]))
      .thenRefused('ACCOUNTS_NOT_LINKED', { accountId: unlinked.receiverId, fromAccountId: unlinked.sourceId });
    expect(refusal.kind).toBe('rule');
    expect(refusal.pointer).toBe('/fromAccountId');
    const w = world();
    const [s, sIssued] = owned(w.strangerId);
    expect(given([...w.events, ...sIssued]).when(transferFromLinkedAccount, transfer(w, [{ licenseId: s }], { fromAccountId: w.strangerId })).thenRefused('ACCOUNTS_NOT_LINKED').kind).toBe('rule');
  });

  it('refuses a bound, superseded or revoked license named by ID', () => {
    const w = world();
    const [bound, boundIssued] = owned(w.sourceId);
    const [superseded, supersededIssued] = owned(w.sourceId);
    const [revoked, revokedIssued] = owned(w.sourceId);
    const events = [
      ...w.events,
      ...boundIssued,
      ...licenseBoundToDevice({ licenseId: bound, deviceId: id(), category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' }),
      ...supersededIssued,
      ...licenseSuperseded({ licenseId: superseded, successorId: id(), toAccountId: w.strangerId }),
      ...revokedIssued,
      ...licenseRevoked(revoked),
    ];
    expect(given(events).when(transferFromLinkedAccount, transfer(w, [{ licenseId: bound }])).thenRefused('LICENSE_BOUND', { licenseId: bound }).kind).toBe('rule');
    expect(given(events).when(transferFromLinkedAccount, transfer(w, [{ licenseId: superseded }])).thenRefused('LICENSE_SUPERSEDED', { licenseId: superseded }).kind).toBe('rule');
    expect(given(events).when(transferFromLinkedAccount, transfer(w, [{ licenseId: revoked }])).thenRefused('LICENSE_REVOKED', { licenseId: revoked }).kind).toBe('rule');
  });

  it('refuses more licenses than the source has available (INSUFFICIENT_LICENSES)', () => {
    const w = world();
    const [, aIssued] = owned(w.sourceId);
    const refusal = given([...w.events, ...aIssued])
      .when(transferFromLinkedAccount, transfer(w, [{ modelCode: AP.code, quantity: 2 }]))
      .thenRefused('INSUFFICIENT_LICENSES', { requested: 2, available: 1 });
    expect(refusal.kind).toBe('rule');
  });
});
