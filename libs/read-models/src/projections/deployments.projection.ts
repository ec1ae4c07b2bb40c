import type { RecordedEvent } from '@ledger/event-store';
import { type DeploymentState, evolveDeployment, initialState } from '@ledger/licensing';
import { type ReadModel, type Rows, type TableSpec, instant } from '../read-model';
import { ledgerEvent } from './event';

export interface DeploymentRow {
  deployment_id: string;
  owner_id: string;
  creator_id: string;
  server_id: string;
  status: string;
  license_ids: string[];
  maintenance_until: string | null;
  file_no: number;
  file_issued_at: string | null;
  file_license_ids: string[];
  created_at: string;
  uninstalled_at: string | null;
  last_position: number;
}

export const DEPLOYMENTS_TABLE: TableSpec = {
  name: 'rm_deployments',
  key: 'deployment_id',
  columns: {
    deployment_id: 'text', owner_id: 'text', creator_id: 'text', server_id: 'text', status: 'text', license_ids: 'jsonb',
    maintenance_until: 'instant', file_no: 'integer', file_issued_at: 'instant', file_license_ids: 'jsonb', created_at: 'instant',
    uninstalled_at: 'instant', last_position: 'bigint',
  },
  indexes: [{ columns: ['owner_id', 'created_at', 'deployment_id'] }, { columns: ['creator_id', 'created_at', 'deployment_id'] }],
};

function stateOf(row: DeploymentRow): DeploymentState {
  return {
    exists: true, deploymentId: row.deployment_id, creatorId: row.creator_id, ownerId: row.owner_id, serverId: row.server_id,
    licenseIds: row.license_ids, status: row.status as DeploymentState['status'], maintenanceUntil: row.maintenance_until,
    fileNo: row.file_no, fileIssuedAt: row.file_issued_at, fileLicenseIds: row.file_license_ids,
  };
}

export const deploymentsProjection: ReadModel = {
  name: 'deployments',
  version: 1,
  tables: [DEPLOYMENTS_TABLE],
  touches: (e: RecordedEvent) => (e.streamId.startsWith('deployment-') ? [[DEPLOYMENTS_TABLE.name, String(e.data.deploymentId)]] : []),
  apply(rows: Rows, e: RecordedEvent) {
    const event = ledgerEvent(e);
    if (!['DeploymentCreated', 'DeploymentInstalled', 'MaintenanceRenewed', 'DeploymentUninstalled'].includes(event.type)) return;
    const data = event.data as { deploymentId: string };
    const row = rows.get<DeploymentRow & Record<string, unknown>>(DEPLOYMENTS_TABLE.name, data.deploymentId);
    if (!row && event.type !== 'DeploymentCreated') return;
    const s = evolveDeployment(row ? stateOf(row) : initialState('deployment'), event as Parameters<typeof evolveDeployment>[1]);
    const next: DeploymentRow = {
      deployment_id: s.deploymentId, owner_id: s.ownerId, creator_id: s.creatorId, server_id: s.serverId, status: s.status,
      license_ids: s.licenseIds, maintenance_until: instant(s.maintenanceUntil), file_no: s.fileNo, file_issued_at: instant(s.fileIssuedAt),
      file_license_ids: s.fileLicenseIds,
      created_at: row?.created_at ?? instant((event.data as { createdAt: string }).createdAt),
      uninstalled_at: event.type === 'DeploymentUninstalled' ? instant(event.data.uninstalledAt) : (row?.uninstalled_at ?? null),
      last_position: e.globalPosition,
    };
    rows.put(DEPLOYMENTS_TABLE.name, { ...next });
  },
};
