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
  facts.require(...deployment.fileLicenseIds.map(streamId.license));
  return {
    format: 'ledger-license-file/1',
    deploymentId: deployment.deploymentId,
    serverId: deployment.serverId,
    ownerId: deployment.ownerId,
    fileNo: deployment.fileNo,
    issuedAt: deployment.fileIssuedAt ?? '',
    maintenanceUntil: deployment.maintenanceUntil,
    // A license's terms never change, whatever happened to it since the file was issued.
    licenses: deployment.fileLicenseIds
      .map((id) => facts.license(id))
      .map((l) => ({ licenseId: l.licenseId, modelCode: l.model.code, category: l.model.category, seats: l.model.seats, perpetual: l.model.termDays === null })),
  };
}

/** What a new license file lists: the deployment's licenses still deployed (a revoked one is left out). */
export function licensesForNewFile(deployment: DeploymentState, facts: Facts): string[] {
  facts.require(...deployment.licenseIds.map(streamId.license));
  return deployment.licenseIds.filter((id) => facts.license(id).status === 'deployed');
}
