import type { Emitted } from '../../decision';
import { given } from '../../testing';
import {
  customer, licenseBoundToDevice, licenseDeployed, licenseIssued, licenseRevoked, licenseSuperseded, licenseUninstalled, modelDefined, partner, terms, vendorOpened,
} from '../../test-builders';
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

  it('revokes a bound license wherever it is', () => {
    const w = world();
    given([...w.events, ...licenseBoundToDevice({ licenseId: w.licenseId, deviceId: id(), category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' })])
      .when(revokeLicense, { now: NOW, licenseId: w.licenseId, reason: 'chargeback' })
      .then(licenseRevoked(w.licenseId, 'chargeback', NOW));
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
