import type { Emitted } from '../../decision';
import { given } from '../../testing';
import {
  licenseAppliedToMspPortal, licenseIssued, licenseRevoked, licenseSuperseded, modelDefined, mspPortalExtended, partner, terms, vendorOpened,
} from '../../test-builders';
import { addDays } from '../../time';
import { extendMspPortal } from './extend-msp-portal.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const MSP = terms({ code: 'MSP-30D', category: 'msp', bindsTo: 'msp-portal', termDays: 30 });
const AP = terms({ code: 'AP-1YR-LIC' });

function world() {
  const vendorId = id();
  const mspId = id();
  const licenseId = id();
  const events: Emitted[] = [...vendorOpened(vendorId), ...partner(mspId, vendorId), ...modelDefined(MSP), ...modelDefined(AP), ...licenseIssued({ licenseId, ownerId: mspId, model: MSP })];
  return { mspId, licenseId, events };
}

describe('ExtendMspPortal', () => {
  it("counts only what is left of the term when the key's forced activation date has passed", () => {
    const w = world();
    const licenseId = id();
    const events = [...w.events, ...licenseIssued({ licenseId, ownerId: w.mspId, model: MSP, forcedActivationDate: addDays(NOW, -10) })];
    expect(given(events).when(extendMspPortal, { now: NOW, licenseId }).decision().result.mspPortalValidUntil).toBe(addDays(NOW, 20));
    given([...w.events, ...licenseIssued({ licenseId, ownerId: w.mspId, model: MSP, forcedActivationDate: addDays(NOW, -30) })])
      .when(extendMspPortal, { now: NOW, licenseId })
      .thenRefused('LICENSE_EXPIRED');
  });

  it("extends its owner's MSP portal by the license term, from now when never extended", () => {
    const w = world();
    const until = addDays(NOW, 30);
    given(w.events)
      .when(extendMspPortal, { now: NOW, licenseId: w.licenseId })
      .then([
        [`license-${w.licenseId}`, { type: 'LicenseAppliedToMspPortal', data: { licenseId: w.licenseId, accountId: w.mspId, validFrom: NOW, validUntil: until, appliedAt: NOW } }],
        [`account-${w.mspId}`, { type: 'MspPortalExtended', data: { accountId: w.mspId, licenseId: w.licenseId, termDays: 30, validFrom: NOW, validUntil: until, extendedAt: NOW } }],
      ]);
    expect(given(w.events).when(extendMspPortal, { now: NOW, licenseId: w.licenseId }).decision().result).toEqual({ licenseId: w.licenseId, accountId: w.mspId, mspPortalValidUntil: until });
  });

  it('stacks onto a portal still valid: starts at its current end', () => {
    const w = world();
    const end = '2025-08-01T00:00:00.000Z';
    const events = [...w.events, ...mspPortalExtended({ accountId: w.mspId, licenseId: id(), termDays: 30, validFrom: '2025-07-02T00:00:00.000Z', validUntil: end })];
    expect(given(events).when(extendMspPortal, { now: NOW, licenseId: w.licenseId }).decision().events).toContainEqual([
      `account-${w.mspId}`,
      { type: 'MspPortalExtended', data: { accountId: w.mspId, licenseId: w.licenseId, termDays: 30, validFrom: end, validUntil: '2025-08-31T00:00:00.000Z', extendedAt: NOW } },
    ]);
  });

  it('extends an expired portal from now', () => {
    const w = world();
    const events = [...w.events, ...mspPortalExtended({ accountId: w.mspId, licenseId: id(), termDays: 30, validFrom: '2025-01-01T00:00:00.000Z', validUntil: '2025-01-31T00:00:00.000Z' })];
    expect(given(events).when(extendMspPortal, { now: NOW, licenseId: w.licenseId }).decision().result.mspPortalValidUntil).toBe(addDays(NOW, 30));
  });

  it('refuses a license that is not an msp-portal one (LICENSE_NOT_MSP_PORTAL)', () => {
    const w = world();
    const licenseId = id();
    const refusal = given([...w.events, ...licenseIssued({ licenseId, ownerId: w.mspId, model: AP })])
      .when(extendMspPortal, { now: NOW, licenseId })
      .thenRefused('LICENSE_NOT_MSP_PORTAL', { licenseId, bindsTo: 'device' });
    expect(refusal.kind).toBe('rule');
  });

  it('refuses a license already applied (LICENSE_BOUND), superseded or revoked', () => {
    const w = world();
    const applied = [...w.events, ...licenseAppliedToMspPortal({ licenseId: w.licenseId, accountId: w.mspId, validFrom: NOW, validUntil: addDays(NOW, 30) })];
    expect(given(applied).when(extendMspPortal, { now: NOW, licenseId: w.licenseId }).thenRefused('LICENSE_BOUND').kind).toBe('rule');
    const superseded = [...w.events, ...licenseSuperseded({ licenseId: w.licenseId, successorId: id(), toAccountId: id(), reason: 'transfer' })];
    expect(given(superseded).when(extendMspPortal, { now: NOW, licenseId: w.licenseId }).thenRefused('LICENSE_SUPERSEDED').kind).toBe('rule');
    expect(given([...w.events, ...licenseRevoked(w.licenseId)]).when(extendMspPortal, { now: NOW, licenseId: w.licenseId }).thenRefused('LICENSE_REVOKED').kind).toBe('rule');
  });

  it('refuses an unknown license (LICENSE_NOT_FOUND)', () => {
    expect(given(world().events).when(extendMspPortal, { now: NOW, licenseId: id() }).thenRefused('LICENSE_NOT_FOUND').kind).toBe('not_found');
  });
});
