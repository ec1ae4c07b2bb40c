import type { Decider, Facts } from '../../decision';
import { refuse } from '../../errors';
import { type DeploymentState, evolveDeployment, streamId } from '../../streams';
import { type LicenseFileContent, licenseFile, licensesForNewFile } from './license-file';

export interface InstallDeployment {
  now: string;
  deploymentId: string;
}

export function existingDeployment(facts: Facts, id: string): DeploymentState {
  const deployment = facts.deployment(id);
  if (!deployment.exists) refuse('DEPLOYMENT_NOT_FOUND', `deployment ${id} does not exist`, { deploymentId: id });
  return deployment;
}

/** Issues the deployment's license file. Installing it again hands back the same file. */
export const installDeployment: Decider<InstallDeployment, LicenseFileContent> = {
  name: 'InstallDeployment',
  decide(c, facts) {
    const deployment = existingDeployment(facts, c.deploymentId);
    if (deployment.status === 'uninstalled')
      refuse('DEPLOYMENT_UNINSTALLED', `deployment ${c.deploymentId} was uninstalled permanently; its licenses can never be installed again`, { deploymentId: c.deploymentId });
    if (deployment.status === 'installed') return { events: [], result: licenseFile(deployment, facts) };
    const licenseIds = licensesForNewFile(deployment, facts);
    const event = { type: 'DeploymentInstalled' as const, data: { deploymentId: c.deploymentId, fileNo: 1, licenseIds, maintenanceUntil: deployment.maintenanceUntil, installedAt: c.now } };
    return { events: [[streamId.deployment(c.deploymentId), event]], result: licenseFile(evolveDeployment(deployment, event), facts) };
  },
};
