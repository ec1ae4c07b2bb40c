import type { Facts } from '../../decision';
import { type DeploymentState, streamId } from '../../streams';

/**
 * What a deployment's license file says (the application signs it). Built
 * from the deployment's state only, so asking again gives the same file.
 */
export interface LicenseFileContent {
  format: 'ledger-license-file/1';
  deploymentId: string;
  serverId: string;
  ownerId: string;
  fileNo: number;
  issuedAt: string;
  maintenanceUntil: string | null;
  licenses: { licenseId: string; modelCode: string; category: string; seats: number; perpetual: boolean }[];
}

export function licenseFile(deployment: DeploymentState, facts: Facts): LicenseFileContent {
  facts.require(...deployment.licenseIds.map(streamId.license));
  return {
    format: 'ledger-license-file/1',
    deploymentId: deployment.deploymentId,
    serverId: deployment.serverId,
    ownerId: deployment.ownerId,
    fileNo: deployment.fileNo,
    issuedAt: deployment.fileIssuedAt ?? '',
    maintenanceUntil: deployment.maintenanceUntil,
    licenses: deployment.licenseIds
      .map((id) => facts.license(id))
      // A license revoked after deployment is left out of every later file.
      .filter((l) => l.status === 'deployed')
      .map((l) => ({ licenseId: l.licenseId, modelCode: l.model.code, category: l.model.category, seats: l.model.seats, perpetual: l.model.termDays === null })),
  };
}
