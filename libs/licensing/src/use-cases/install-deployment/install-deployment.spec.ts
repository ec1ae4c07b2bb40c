import { given } from '../../testing';
import {
  deploymentInstalled, deploymentUninstalled, licenseRevoked, licenseUninstalled, partnerDeployment, terms,
} from '../../test-builders';
import { installDeployment } from './install-deployment.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const MAINTENANCE = '2026-06-01T00:00:00.000Z';
const id = () => crypto.randomUUID();

const SRV = terms({ code: 'SRV-PERP', category: 'capacity', bindsTo: 'deployment', termDays: null, seats: 50 });
const SRV_1Y = terms({ code: 'SRV-1YR', category: 'capacity', bindsTo: 'deployment', termDays: 365, seats: 10 });

/** A partner's deployment of two licenses, created (not installed yet). */
function world() {
  const { partnerId, deploymentId, licenseIds: [a, b], events } = partnerDeployment(id, [SRV, SRV_1Y], { serverId: 'HW-FP-0001', maintenanceUntil: MAINTENANCE });
  return { partnerId, deploymentId, a: a!, b: b!, events };
}

describe('InstallDeployment', () => {
  it('installs the deployment: license file number 1, with its maintenance date and licenses', () => {
    const w = world();
    given(w.events)
      .when(installDeployment, { now: NOW, deploymentId: w.deploymentId })
      .then([[`deployment-${w.deploymentId}`, { type: 'DeploymentInstalled', data: { deploymentId: w.deploymentId, fileNo: 1, licenseIds: [w.a, w.b], maintenanceUntil: MAINTENANCE, installedAt: NOW } }]]);
    expect(given(w.events).when(installDeployment, { now: NOW, deploymentId: w.deploymentId }).decision().result).toEqual({
      format: 'ledger-license-file/1',
      deploymentId: w.deploymentId,
      serverId: 'HW-FP-0001',
      ownerId: w.partnerId,
      fileNo: 1,
      issuedAt: NOW,
      maintenanceUntil: MAINTENANCE,
      licenses: [
        { licenseId: w.a, modelCode: SRV.code, category: 'capacity', seats: 50, perpetual: true },
        { licenseId: w.b, modelCode: SRV_1Y.code, category: 'capacity', seats: 10, perpetual: false },
      ],
    });
  });

  it('records nothing when installed again, and hands back the same file', () => {
    const w = world();
    const first = given(w.events).when(installDeployment, { now: NOW, deploymentId: w.deploymentId }).decision();
    const again = given([...w.events, ...first.events]).when(installDeployment, { now: '2025-06-02T00:00:00.000Z', deploymentId: w.deploymentId });
    again.thenNothing();
    expect(again.decision().result).toEqual(first.result);
  });

  it('hands back the file as issued, even after one of its licenses was revoked (the next file leaves it out)', () => {
    const w = world();
    const first = given(w.events).when(installDeployment, { now: NOW, deploymentId: w.deploymentId }).decision();
    const again = given([...w.events, ...first.events, ...licenseRevoked(w.b)]).when(installDeployment, { now: '2025-06-02T00:00:00.000Z', deploymentId: w.deploymentId });
    again.thenNothing();
    expect(again.decision().result).toEqual(first.result);
  });

  it('leaves a revoked license out of the file', () => {
    const w = world();
    const file = given([...w.events, ...licenseRevoked(w.b)]).when(installDeployment, { now: NOW, deploymentId: w.deploymentId }).decision().result;
    expect(file.licenses.map((l) => l.licenseId)).toEqual([w.a]);
  });

  it('refuses to reinstall an uninstalled deployment (DEPLOYMENT_UNINSTALLED)', () => {
    const w = world();
    const uninstalled = [
      ...w.events,
      ...deploymentInstalled({ deploymentId: w.deploymentId, licenseIds: [w.a, w.b], maintenanceUntil: MAINTENANCE }),
      ...deploymentUninstalled({ deploymentId: w.deploymentId, licenseIds: [w.a, w.b] }),
      ...licenseUninstalled(w.a, w.deploymentId),
      ...licenseUninstalled(w.b, w.deploymentId),
    ];
    const refusal = given(uninstalled).when(installDeployment, { now: NOW, deploymentId: w.deploymentId }).thenRefused('DEPLOYMENT_UNINSTALLED', { deploymentId: w.deploymentId });
    expect(refusal.kind).toBe('rule');
  });

  it('refuses an unknown deployment (DEPLOYMENT_NOT_FOUND)', () => {
    const unknown = id();
    expect(given(world().events).when(installDeployment, { now: NOW, deploymentId: unknown }).thenRefused('DEPLOYMENT_NOT_FOUND', { deploymentId: unknown }).kind).toBe('not_found');
  });
});
