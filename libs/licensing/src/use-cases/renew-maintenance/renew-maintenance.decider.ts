import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { evolveDeployment, streamId } from '../../streams';
import { isBefore } from '../../time';
import { existingDeployment } from '../install-deployment/install-deployment.decider';
import { type LicenseFileContent, licenseFile, licensesForNewFile } from '../install-deployment/license-file';

export interface RenewMaintenance {
  now: string;
  deploymentId: string;
  until: string;
}

/** Extends maintenance and issues a new license file carrying the new date. */
export const renewMaintenance: Decider<RenewMaintenance, LicenseFileContent> = {
  name: 'RenewMaintenance',
  decide(c, facts) {
    const deployment = existingDeployment(facts, c.deploymentId);
    if (deployment.status === 'uninstalled') refuse('DEPLOYMENT_UNINSTALLED', `deployment ${c.deploymentId} was uninstalled permanently`, { deploymentId: c.deploymentId });
    if (deployment.status !== 'installed') refuse('DEPLOYMENT_NOT_INSTALLED', `deployment ${c.deploymentId} is not installed yet`, { deploymentId: c.deploymentId });
    // Renewing to the date it already has is an outcome that already holds: the same file again.
    if (deployment.maintenanceUntil !== null && Date.parse(c.until) === Date.parse(deployment.maintenanceUntil)) return { events: [], result: licenseFile(deployment, facts) };
    const current = deployment.maintenanceUntil ?? c.now;
    if (!isBefore(current, c.until) || !isBefore(c.now, c.until))
      refuse('MAINTENANCE_NOT_EXTENDED', `maintenance must end after ${current}, got ${c.until}`, { maintenanceUntil: deployment.maintenanceUntil, until: c.until }, '/until');
    const licenseIds = licensesForNewFile(deployment, facts);
    const event = { type: 'MaintenanceRenewed' as const, data: { deploymentId: c.deploymentId, fileNo: deployment.fileNo + 1, licenseIds, maintenanceUntil: c.until, renewedAt: c.now } };
    return { events: [[streamId.deployment(c.deploymentId), event]], result: licenseFile(evolveDeployment(deployment, event), facts) };
  },
};
