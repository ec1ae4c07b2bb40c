import type { Decider, Emitted } from '../../decision';
import { refuse } from '../../errors';
import { type HandOffLine, existingAccount, handOffAll, isEndUserOf, licensesForLines } from '../../rules';
import { streamId } from '../../streams';

export interface CreateDeployment {
  now: string;
  deploymentId: string;
  creatorId: string;
  /** The creator itself, or one of its end users (who then buys the licenses). */
  ownerId: string;
  /** Hardware fingerprint of the server the deployment is for. */
  serverId: string;
  lines: HandOffLine[];
  maintenanceUntil: string | null;
  successorSeed: string;
}

export interface CreateDeploymentResult {
  deploymentId: string;
  ownerId: string;
  serverId: string;
  licenseIds: string[];
  /** Licenses the creator sold to the owner with the deployment (superseded). */
  soldIds: string[];
}

export const createDeployment: Decider<CreateDeployment, CreateDeploymentResult> = {
  name: 'CreateDeployment',
  decide(c, facts) {
    if (c.serverId.trim() === '') refuse('INVALID_COMMAND', 'a server id is required', {}, '/serverId');
    facts.require(streamId.deployment(c.deploymentId), streamId.account(c.creatorId), streamId.account(c.ownerId));
    const existing = facts.deployment(c.deploymentId);
    if (existing.exists) return { events: [], result: { deploymentId: c.deploymentId, ownerId: existing.ownerId, serverId: existing.serverId, licenseIds: existing.licenseIds, soldIds: [] } };
    existingAccount(facts, c.creatorId, '/creatorId');
    const owner = existingAccount(facts, c.ownerId, '/ownerId');
    const sells = c.ownerId !== c.creatorId;
    if (sells && !isEndUserOf(owner, c.creatorId))
      refuse('NOT_AN_END_USER', `a deployment can be owned by its creator or one of the creator's end users; ${c.ownerId} is neither`, { ownerId: c.ownerId, creatorId: c.creatorId }, '/ownerId');
    const licenses = licensesForLines(facts, c.creatorId, c.lines, c.now);
    for (const license of licenses)
      if (license.model.bindsTo !== 'deployment')
        refuse('LICENSE_NOT_DEPLOYABLE', `license ${license.licenseId} (${license.model.code}) binds to ${license.model.bindsTo}, not to a deployment`, { licenseId: license.licenseId, modelCode: license.model.code }, '/lines');
    const events: Emitted[] = [];
    let deployed = licenses;
    if (sells) {
      const sale = handOffAll(licenses, c.ownerId, 'deployment-sale', c.successorSeed, c.now);
      events.push(...sale.events);
      deployed = sale.successors;
    }
    const licenseIds = deployed.map((l) => l.licenseId);
    events.push([
      streamId.deployment(c.deploymentId),
      { type: 'DeploymentCreated', data: { deploymentId: c.deploymentId, creatorId: c.creatorId, ownerId: c.ownerId, serverId: c.serverId, licenseIds, maintenanceUntil: c.maintenanceUntil, createdAt: c.now } },
    ]);
    for (const id of licenseIds) events.push([streamId.license(id), { type: 'LicenseDeployed', data: { licenseId: id, deploymentId: c.deploymentId, deployedAt: c.now } }]);
    return { events, result: { deploymentId: c.deploymentId, ownerId: c.ownerId, serverId: c.serverId, licenseIds, soldIds: sells ? licenses.map((l) => l.licenseId) : [] } };
  },
};
