import { given } from '../../testing';
import { customer, deploymentInstalled, licenseRevoked, partnerDeployment, terms } from '../../test-builders';
import { installDeployment } from '../install-deployment/install-deployment.decider';
import { sellToEnduser } from '../sell-to-enduser/sell-to-enduser.decider';
import { uninstallPermanent } from './uninstall-permanent.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const SRV = terms({ code: 'SRV-PERP', category: 'capacity', bindsTo: 'deployment', termDays: null, seats: 50 });

function world() {
  const { partnerId, deploymentId, licenseIds: [a, b], events } = partnerDeployment(id, [SRV, SRV]);
  return { partnerId, deploymentId, a: a!, b: b!, events: [...events, ...deploymentInstalled({ deploymentId })] };
}

describe('UninstallPermanent', () => {
  it('uninstalls the deployment and marks its deployed licenses uninstalled', () => {
    const w = world();
    given(w.events)
      .when(uninstallPermanent, { now: NOW, deploymentId: w.deploymentId })
      .then([
        [`deployment-${w.deploymentId}`, { type: 'DeploymentUninstalled', data: { deploymentId: w.deploymentId, licenseIds: [w.a, w.b], uninstalledAt: NOW } }],
        [`license-${w.a}`, { type: 'LicenseUninstalled', data: { licenseId: w.a, deploymentId: w.deploymentId, uninstalledAt: NOW } }],
        [`license-${w.b}`, { type: 'LicenseUninstalled', data: { licenseId: w.b, deploymentId: w.deploymentId, uninstalledAt: NOW } }],
      ]);
  });

  it('leaves a revoked license as it is', () => {
    const w = world();
    const decision = given([...w.events, ...licenseRevoked(w.b)]).when(uninstallPermanent, { now: NOW, deploymentId: w.deploymentId }).decision();
    expect(decision.result).toEqual({ deploymentId: w.deploymentId, licenseIds: [w.a] });
    expect(decision.events.map(([s, e]) => [s, e.type])).toEqual([[`deployment-${w.deploymentId}`, 'DeploymentUninstalled'], [`license-${w.a}`, 'LicenseUninstalled']]);
  });

  it('records nothing when uninstalled again', () => {
    const w = world();
    const first = given(w.events).when(uninstallPermanent, { now: NOW, deploymentId: w.deploymentId }).decision();
    given([...w.events, ...first.events]).when(uninstallPermanent, { now: NOW, deploymentId: w.deploymentId }).thenNothing();
  });

  it('for good: the deployment can never be installed again, nor its licenses used (LICENSE_UNINSTALLED)', () => {
    const w = world();
    const first = given(w.events).when(uninstallPermanent, { now: NOW, deploymentId: w.deploymentId }).decision();
    const after = [...w.events, ...first.events];
    given(after).when(installDeployment, { now: NOW, deploymentId: w.deploymentId }).thenRefused('DEPLOYMENT_UNINSTALLED');
    const customerId = id();
    const refusal = given([...after, ...customer(customerId, w.partnerId)])
      .when(sellToEnduser, { now: NOW, sellerId: w.partnerId, buyerId: customerId, lines: [{ licenseId: w.a }], successorSeed: id() })
      .thenRefused('LICENSE_UNINSTALLED', { licenseId: w.a });
    expect(refusal.kind).toBe('rule');
  });

  it('refuses an unknown deployment (DEPLOYMENT_NOT_FOUND)', () => {
    expect(given(world().events).when(uninstallPermanent, { now: NOW, deploymentId: id() }).thenRefused('DEPLOYMENT_NOT_FOUND').kind).toBe('not_found');
  });
});
