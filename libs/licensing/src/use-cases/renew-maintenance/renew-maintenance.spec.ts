import { given } from '../../testing';
import { deploymentInstalled, deploymentUninstalled, maintenanceRenewed, partnerDeployment, terms } from '../../test-builders';
import { renewMaintenance } from './renew-maintenance.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const MAINTENANCE = '2026-06-01T00:00:00.000Z';
const RENEWED = '2027-06-01T00:00:00.000Z';
const id = () => crypto.randomUUID();

const SRV = terms({ code: 'SRV-PERP', category: 'capacity', bindsTo: 'deployment', termDays: null, seats: 50 });

function world(o: { installed?: boolean; maintenanceUntil?: string | null } = {}) {
  const maintenanceUntil = o.maintenanceUntil === undefined ? MAINTENANCE : o.maintenanceUntil;
  const { partnerId, deploymentId, licenseIds: [licenseId], events } = partnerDeployment(id, [SRV], { serverId: 'HW-FP-0001', maintenanceUntil });
  const installed = o.installed === false ? [] : deploymentInstalled({ deploymentId, licenseIds: [licenseId!], maintenanceUntil, installedAt: '2025-02-01T00:00:00.000Z' });
  return { partnerId, deploymentId, licenseId: licenseId!, events: [...events, ...installed] };
}

describe('RenewMaintenance', () => {
  it('extends maintenance with a new license file number and the new date', () => {
    const w = world();
    given(w.events)
      .when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: RENEWED })
      .then([[`deployment-${w.deploymentId}`, { type: 'MaintenanceRenewed', data: { deploymentId: w.deploymentId, fileNo: 2, licenseIds: [w.licenseId], maintenanceUntil: RENEWED, renewedAt: NOW } }]]);
    expect(given(w.events).when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: RENEWED }).decision().result).toEqual({
      format: 'ledger-license-file/1',
      deploymentId: w.deploymentId,
      serverId: 'HW-FP-0001',
      ownerId: w.partnerId,
      fileNo: 2,
      issuedAt: NOW,
      maintenanceUntil: RENEWED,
      licenses: [{ licenseId: w.licenseId, modelCode: SRV.code, category: 'capacity', seats: 50, perpetual: true }],
    });
  });

  it('numbers each renewal on', () => {
    const w = world();
    const events = [...w.events, ...maintenanceRenewed({ deploymentId: w.deploymentId, fileNo: 2, maintenanceUntil: RENEWED })];
    given(events)
      .when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: '2028-06-01T00:00:00.000Z' })
      .then(maintenanceRenewed({ deploymentId: w.deploymentId, fileNo: 3, licenseIds: [w.licenseId], maintenanceUntil: '2028-06-01T00:00:00.000Z', renewedAt: NOW }));
  });

  it('renews a deployment installed without maintenance to a future date', () => {
    const w = world({ maintenanceUntil: null });
    given(w.events)
      .when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: RENEWED })
      .then(maintenanceRenewed({ deploymentId: w.deploymentId, fileNo: 2, licenseIds: [w.licenseId], maintenanceUntil: RENEWED, renewedAt: NOW }));
  });

  it('refuses a date that does not extend maintenance (MAINTENANCE_NOT_EXTENDED)', () => {
    const w = world();
    for (const until of ['2026-05-31T23:59:59.000Z', '2025-01-01T00:00:00.000Z']) {
      const refusal = given(w.events).when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until }).thenRefused('MAINTENANCE_NOT_EXTENDED', { maintenanceUntil: MAINTENANCE, until });
      expect(refusal.kind).toBe('rule');
      expect(refusal.pointer).toBe('/until');
    }
    const none = world({ maintenanceUntil: null });
    expect(given(none.events).when(renewMaintenance, { now: NOW, deploymentId: none.deploymentId, until: '2025-05-01T00:00:00.000Z' }).thenRefused('MAINTENANCE_NOT_EXTENDED').kind).toBe('rule');
  });

  it('refuses a date in the past even if later than the lapsed maintenance', () => {
    const w = world({ maintenanceUntil: '2025-01-01T00:00:00.000Z' });
    given(w.events).when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: '2025-03-01T00:00:00.000Z' }).thenRefused('MAINTENANCE_NOT_EXTENDED');
  });

  it('records nothing when renewed to the date it already has', () => {
    const w = world();
    given(w.events).when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: MAINTENANCE }).thenNothing();
  });

  it('records nothing when the date it already has is spelled another way', () => {
    const w = world();
    given(w.events).when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: '2026-06-01T02:00:00+02:00' }).thenNothing();
  });

  it('refuses a deployment not installed yet (DEPLOYMENT_NOT_INSTALLED) or uninstalled (DEPLOYMENT_UNINSTALLED)', () => {
    const created = world({ installed: false });
    expect(given(created.events).when(renewMaintenance, { now: NOW, deploymentId: created.deploymentId, until: RENEWED }).thenRefused('DEPLOYMENT_NOT_INSTALLED').kind).toBe('rule');
    const w = world();
    const uninstalled = [...w.events, ...deploymentUninstalled({ deploymentId: w.deploymentId, licenseIds: [w.licenseId] })];
    expect(given(uninstalled).when(renewMaintenance, { now: NOW, deploymentId: w.deploymentId, until: RENEWED }).thenRefused('DEPLOYMENT_UNINSTALLED').kind).toBe('rule');
    expect(given(w.events).when(renewMaintenance, { now: NOW, deploymentId: id(), until: RENEWED }).thenRefused('DEPLOYMENT_NOT_FOUND').kind).toBe('not_found');
  });
});
