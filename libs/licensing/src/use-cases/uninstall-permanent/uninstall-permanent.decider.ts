import type { Decider, Emitted } from '../../decision';
import { streamId } from '../../streams';
import { existingDeployment } from '../install-deployment/install-deployment.decider';

export interface UninstallPermanent {
  now: string;
  deploymentId: string;
}

/** For good: the deployment can never be installed again, nor its licenses used anywhere. */
export const uninstallPermanent: Decider<UninstallPermanent, { deploymentId: string; licenseIds: string[] }> = {
  name: 'UninstallPermanent',
  decide(c, facts) {
    const deployment = existingDeployment(facts, c.deploymentId);
    if (deployment.status === 'uninstalled') return { events: [], result: { deploymentId: c.deploymentId, licenseIds: deployment.licenseIds } };
    facts.require(...deployment.licenseIds.map(streamId.license));
    const licenseIds = deployment.licenseIds.filter((id) => facts.license(id).status === 'deployed');
    const events: Emitted[] = [[streamId.deployment(c.deploymentId), { type: 'DeploymentUninstalled', data: { deploymentId: c.deploymentId, licenseIds, uninstalledAt: c.now } }]];
    for (const id of licenseIds) events.push([streamId.license(id), { type: 'LicenseUninstalled', data: { licenseId: id, deploymentId: c.deploymentId, uninstalledAt: c.now } }]);
    return { events, result: { deploymentId: c.deploymentId, licenseIds } };
  },
};
