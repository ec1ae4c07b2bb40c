import type { Emitted } from '../../decision';
import type { ModelTerms } from '../../events';
import { given } from '../../testing';
import {
  customer, licenseBoundToDevice, licenseDeployed, licenseHandedOn, licenseIssued, licenseRevoked, licenseSuperseded, licenseUninstalled, modelDefined, partner, terms, vendorOpened,
} from '../../test-builders';
import { type MoveLicense, moveLicense } from './move-license.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365 });
const SRV = terms({ code: 'SRV-PERP', category: 'capacity', bindsTo: 'deployment', termDays: null });

/** A partner with two customers (organizations), and another partner with one. */
function world() {
  const vendorId = id();
  const partnerId = id();
  const fromId = id();
  const toId = id();
  const otherPartnerId = id();
  const othersCustomerId = id();
  const events: Emitted[] = [
    ...vendorOpened(vendorId),
    ...partner(partnerId, vendorId),
    ...customer(fromId, partnerId),
    ...customer(toId, partnerId),
    ...partner(otherPartnerId, vendorId),
    ...customer(othersCustomerId, otherPartnerId),
    ...modelDefined(AP),
    ...modelDefined(SRV),
  ];
  return { partnerId, fromId, toId, otherPartnerId, othersCustomerId, events };
}

function owned(ownerId: string, model: ModelTerms = AP): [string, Emitted[]] {
  const licenseId = id();
  return [licenseId, licenseIssued({ licenseId, ownerId, model, forcedActivationDate: '2025-04-01T00:00:00.000Z' })];
}

const move = (licenseId: string, toAccountId: string, o: Partial<MoveLicense> = {}): MoveLicense => ({ now: NOW, licenseId, toAccountId, successorId: id(), ...o });

describe('MoveLicense', () => {
  it('moves a license between customers of the same partner: superseded, successor with a new License ID for the receiver', () => {
    const w = world();
    const [licenseId, issued] = owned(w.fromId);
    const successorId = id();
    given([...w.events, ...issued])
      .when(moveLicense, move(licenseId, w.toId, { successorId }))
      .then([
        [`license-${licenseId}`, { type: 'LicenseSuperseded', data: { licenseId, successorId, toAccountId: w.toId, reason: 'move', supersededAt: NOW } }],
        [
          `license-${successorId}`,
          {
            type: 'LicenseIssued',
            data: { licenseId: successorId, ownerId: w.toId, model: AP, keyCode: 'KEY', poNumber: 'PO', forcedActivationDate: '2025-04-01T00:00:00.000Z', predecessorId: licenseId, reason: 'move', issuedAt: NOW },
          },
        ],
      ]);
    expect(given([...w.events, ...issued]).when(moveLicense, move(licenseId, w.toId, { successorId })).decision().result).toEqual({
      fromAccountId: w.fromId, toAccountId: w.toId, licenseIds: [successorId], supersededIds: [licenseId],
    });
  });

  it('moves the successor on again, lineage continuing', () => {
    const w = world();
    const [licenseId, issued] = owned(w.fromId);
    const first = given([...w.events, ...issued]).when(moveLicense, move(licenseId, w.toId)).decision();
    const successorId = first.result.licenseIds[0]!;
    const back = id();
    given([...w.events, ...issued, ...first.events])
      .when(moveLicense, move(successorId, w.fromId, { successorId: back }))
      .then(licenseHandedOn({ licenseId: successorId, successorId: back, toAccountId: w.fromId, model: AP, reason: 'move', at: NOW, forcedActivationDate: '2025-04-01T00:00:00.000Z' }));
  });

  it('refuses a move to an account that is not a customer of the same partner (NOT_SAME_PARTNER)', () => {
    const w = world();
    const [licenseId, issued] = owned(w.fromId);
    for (const toAccountId of [w.othersCustomerId, w.partnerId, w.otherPartnerId, w.fromId]) {
      const refusal = given([...w.events, ...issued]).when(moveLicense, move(licenseId, toAccountId)).thenRefused('NOT_SAME_PARTNER', { fromAccountId: w.fromId, toAccountId });
      expect(refusal.kind).toBe('rule');
      expect(refusal.pointer).toBe('/toAccountId');
    }
  });

  it("refuses to move a partner's own license (NOT_SAME_PARTNER)", () => {
    const w = world();
    const [licenseId, issued] = owned(w.partnerId);
    given([...w.events, ...issued]).when(moveLicense, move(licenseId, w.toId)).thenRefused('NOT_SAME_PARTNER');
  });

  it('refuses a bound, deployed, superseded, revoked or uninstalled license', () => {
    const w = world();
    const cases: [string, Emitted[], 'LICENSE_BOUND' | 'LICENSE_DEPLOYED' | 'LICENSE_SUPERSEDED' | 'LICENSE_REVOKED' | 'LICENSE_UNINSTALLED'][] = [];
    {
      const [licenseId, issued] = owned(w.fromId);
      cases.push([licenseId, [...issued, ...licenseBoundToDevice({ licenseId, deviceId: id(), category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' })], 'LICENSE_BOUND']);
    }
    {
      const [licenseId, issued] = owned(w.fromId, SRV);
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, id())], 'LICENSE_DEPLOYED']);
    }
    {
      const [licenseId, issued] = owned(w.fromId);
      cases.push([licenseId, [...issued, ...licenseSuperseded({ licenseId, successorId: id(), toAccountId: w.toId, reason: 'move' })], 'LICENSE_SUPERSEDED']);
    }
    {
      const [licenseId, issued] = owned(w.fromId);
      cases.push([licenseId, [...issued, ...licenseRevoked(licenseId)], 'LICENSE_REVOKED']);
    }
    {
      const [licenseId, issued] = owned(w.fromId, SRV);
      const deploymentId = id();
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, deploymentId), ...licenseUninstalled(licenseId, deploymentId)], 'LICENSE_UNINSTALLED']);
    }
    for (const [licenseId, history, code] of cases) {
      const refusal = given([...w.events, ...history]).when(moveLicense, move(licenseId, w.toId)).thenRefused(code, { licenseId });
      expect(refusal.kind).toBe('rule');
    }
  });

  it('refuses an unknown license (LICENSE_NOT_FOUND) and an unknown receiver (ACCOUNT_NOT_FOUND)', () => {
    const w = world();
    const [licenseId, issued] = owned(w.fromId);
    expect(given(w.events).when(moveLicense, move(id(), w.toId)).thenRefused('LICENSE_NOT_FOUND').kind).toBe('not_found');
    expect(given([...w.events, ...issued]).when(moveLicense, move(licenseId, id())).thenRefused('ACCOUNT_NOT_FOUND').kind).toBe('not_found');
  });
});
