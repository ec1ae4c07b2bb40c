import type { Emitted } from '../../decision';
import { given } from '../../testing';
import {
  customer, licenseAppliedToMspPortal, licenseBoundToDevice, licenseDeployed, licenseIssued, licenseRevoked, licenseSuperseded, licenseUninstalled, modelDefined,
  mspPortalExtended, partner, terms, vendorOpened,
} from '../../test-builders';
import { addDays } from '../../time';
import { revokeLicense } from './revoke-license.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC' });

function world() {
  const vendorId = id();
  const partnerId = id();
  const customerId = id();
  const licenseId = id();
  const events: Emitted[] = [...vendorOpened(vendorId), ...partner(partnerId, vendorId), ...customer(customerId, partnerId), ...modelDefined(AP), ...licenseIssued({ licenseId, ownerId: partnerId, model: AP })];
  return { partnerId, customerId, licenseId, events };
}

describe('RevokeLicense', () => {
  it('revokes a license', () => {
    const w = world();
    given(w.events)
      .when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: 'chargeback' })
      .then([[`license-${w.licenseId}`, { type: 'LicenseRevoked', data: { licenseId: w.licenseId, reason: 'chargeback', revokedAt: NOW } }]]);
  });

  it('withdraws a bound license from its device: the device is covered until now, not until the license would have ended', () => {
    const w = world();
    const deviceId = id();
    given([...w.events, ...licenseBoundToDevice({ licenseId: w.licenseId, deviceId, category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' })])
      .when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: 'chargeback' })
      .then([
        ...licenseRevoked(w.licenseId, 'chargeback', NOW),
        [`device-${deviceId}`, { type: 'DeviceLicenseRevoked', data: { deviceId, licenseId: w.licenseId, category: 'pro', channel: null, validUntil: NOW, revokedAt: NOW } }],
      ]);
  });

  it('takes a stacked license\'s unused term off the end of the device\'s validity, whichever of the stack is revoked', () => {
    const w = world();
    const deviceId = id();
    const second = id();
    const firstEnd = addDays(NOW, 100);
    const secondEnd = addDays(firstEnd, 365);
    const events = [
      ...w.events,
      ...licenseIssued({ licenseId: second, ownerId: w.partnerId, model: AP }),
      ...licenseBoundToDevice({ licenseId: w.licenseId, deviceId, category: 'pro', validFrom: addDays(NOW, -265), validUntil: firstEnd }),
      ...licenseBoundToDevice({ licenseId: second, deviceId, category: 'pro', validFrom: firstEnd, validUntil: secondEnd }),
    ];
    // The later one has given nothing yet: all of it comes off.
    expect(given(events).when(revokeLicense, { now: NOW, licenseId: second, reason: 'fraud' }).decision().events[1]![1].data).toMatchObject({ validUntil: firstEnd });
    // The running one has 100 days left: they come off the end, the later one moves up.
    expect(given(events).when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: 'fraud' }).decision().events[1]![1].data).toMatchObject({ validUntil: addDays(secondEnd, -100) });
  });

  it('frees the channel a revoked channel license covered', () => {
    const w = world();
    const deviceId = id();
    given([...w.events, ...licenseBoundToDevice({ licenseId: w.licenseId, deviceId, category: 'channel', channel: 3, validUntil: addDays(NOW, 30) })])
      .when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: 'fraud' })
      .then([
        ...licenseRevoked(w.licenseId, 'fraud', NOW),
        [`device-${deviceId}`, { type: 'DeviceLicenseRevoked', data: { deviceId, licenseId: w.licenseId, category: 'channel', channel: 3, validUntil: null, revokedAt: NOW } }],
      ]);
  });

  it("takes a revoked MSP license's unused term off its portal", () => {
    const w = world();
    const msp = id();
    const portalEnd = addDays(NOW, 50);
    given([
      ...w.events,
      ...licenseIssued({ licenseId: msp, ownerId: w.partnerId, model: AP }),
      ...licenseAppliedToMspPortal({ licenseId: msp, accountId: w.partnerId, validFrom: addDays(NOW, -10), validUntil: addDays(NOW, 20) }),
      ...mspPortalExtended({ accountId: w.partnerId, licenseId: msp, termDays: 30, validFrom: addDays(NOW, -10), validUntil: portalEnd }),
    ])
      .when(revokeLicense, { now: NOW, licenseId: msp, reason: 'fraud' })
      .then([
        ...licenseRevoked(msp, 'fraud', NOW),
        [`account-${w.partnerId}`, { type: 'MspPortalShortened', data: { accountId: w.partnerId, licenseId: msp, validUntil: addDays(portalEnd, -20), shortenedAt: NOW } }],
      ]);
  });

  it('records nothing when revoked twice', () => {
    const w = world();
    const revoke = { now: NOW, licenseId: w.licenseId, reason: 'chargeback' };
    const first = given(w.events).when(revokeLicense, revoke).decision();
    const again = given([...w.events, ...first.events]).when(revokeLicense, { ...revoke, now: '2025-06-02T00:00:00.000Z' });
    again.thenNothing();
    expect(again.decision().result).toEqual({ licenseId: w.licenseId, status: 'revoked' });
  });

  it('refuses a superseded license (LICENSE_SUPERSEDED): revoke its successor', () => {
    const w = world();
    const successorId = id();
    const refusal = given([...w.events, ...licenseSuperseded({ licenseId: w.licenseId, successorId, toAccountId: w.customerId })])
      .when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: 'chargeback' })
      .thenRefused('LICENSE_SUPERSEDED', { licenseId: w.licenseId, successorId });
    expect(refusal.kind).toBe('rule');
  });

  it('refuses an uninstalled license (LICENSE_UNINSTALLED)', () => {
    const w = world();
    const deploymentId = id();
    const refusal = given([...w.events, ...licenseDeployed(w.licenseId, deploymentId), ...licenseUninstalled(w.licenseId, deploymentId)])
      .when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: 'chargeback' })
      .thenRefused('LICENSE_UNINSTALLED');
    expect(refusal.kind).toBe('rule');
  });

  it('refuses an unknown license (LICENSE_NOT_FOUND) and a blank reason (INVALID_COMMAND)', () => {
    const w = world();
    expect(given(w.events).when(revokeLicense, { now: NOW, licenseId: id(), reason: 'x' }).thenRefused('LICENSE_NOT_FOUND').kind).toBe('not_found');
    const blank = given(w.events).when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: '  ' }).thenRefused('INVALID_COMMAND');
    expect(blank.kind).toBe('invalid');
    expect(blank.pointer).toBe('/reason');
  });
});
