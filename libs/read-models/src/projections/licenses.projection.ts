import type { RecordedEvent } from '@ledger/event-store';
import { addDays } from '@ledger/licensing';
import { type ReadModel, type Rows, type TableSpec, instant } from '../read-model';
import { ledgerEvent } from './event';

export interface LicenseRow {
  license_id: string;
  owner_id: string;
  model_code: string;
  category: string;
  binds_to: string;
  term_days: number | null;
  seats: number;
  status: string;
  /** While bound: the device (and channel) or the MSP portal's account. */
  device_id: string | null;
  channel: number | null;
  msp_account_id: string | null;
  /** Activation: when the bound term started. */
  valid_from: string | null;
  /** Expiry: the bound term's end, or for an unbound license its key's forced activation plus the term. Null: perpetual or not running. */
  valid_until: string | null;
  deployment_id: string | null;
  key_code: string;
  po_number: string;
  forced_activation_date: string | null;
  /** Why the license came to exist: `claim`, or the hand-off that superseded its predecessor. */
  issued_reason: string;
  predecessor_id: string | null;
  successor_id: string | null;
  successor_owner_id: string | null;
  issued_at: string;
  bound_at: string | null;
  superseded_at: string | null;
  revoked_at: string | null;
  revoke_reason: string | null;
  uninstalled_at: string | null;
  last_position: number;
}

export const LICENSES_TABLE: TableSpec = {
  name: 'rm_licenses',
  key: 'license_id',
  columns: {
    license_id: 'text', owner_id: 'text', model_code: 'text', category: 'text', binds_to: 'text', term_days: 'integer', seats: 'integer',
    status: 'text', device_id: 'text', channel: 'integer', msp_account_id: 'text', valid_from: 'instant', valid_until: 'instant',
    deployment_id: 'text', key_code: 'text', po_number: 'text', forced_activation_date: 'instant', issued_reason: 'text',
    predecessor_id: 'text', successor_id: 'text', successor_owner_id: 'text', issued_at: 'instant', bound_at: 'instant',
    superseded_at: 'instant', revoked_at: 'instant', revoke_reason: 'text', uninstalled_at: 'instant', last_position: 'bigint',
  },
  indexes: [
    { columns: ['owner_id', 'license_id'] },
    // Covers the inventory counts (an index-only scan per account).
    { columns: ['owner_id', 'model_code', 'category', 'status', 'valid_until'] },
    { columns: ['device_id'], where: 'device_id IS NOT NULL' },
    { columns: ['valid_until'], where: "status IN ('available', 'bound')" },
    { columns: ['key_code'] },
    { columns: ['po_number'] },
  ],
};

/** Every license: what account inventories, license detail, lineage and expiry lists read. */
export const licensesProjection: ReadModel = {
  name: 'licenses',
  version: 1,
  tables: [LICENSES_TABLE],
  touches: (e: RecordedEvent) => (e.streamId.startsWith('license-') ? [[LICENSES_TABLE.name, String(e.data.licenseId)]] : []),
  apply(rows: Rows, e: RecordedEvent) {
    const event = ledgerEvent(e);
    const t = LICENSES_TABLE.name;
    if (event.type === 'LicenseIssued') {
      const d = event.data;
      const row: LicenseRow = {
        license_id: d.licenseId, owner_id: d.ownerId, model_code: d.model.code, category: d.model.category, binds_to: d.model.bindsTo,
        term_days: d.model.termDays, seats: d.model.seats, status: 'available', device_id: null, channel: null, msp_account_id: null,
        valid_from: null,
        // The key's forced activation date starts the term even if the license is never bound.
        valid_until: d.forcedActivationDate && d.model.termDays !== null ? instant(addDays(d.forcedActivationDate, d.model.termDays)) : null,
        deployment_id: null, key_code: d.keyCode, po_number: d.poNumber, forced_activation_date: instant(d.forcedActivationDate),
        issued_reason: d.reason, predecessor_id: d.predecessorId, successor_id: null, successor_owner_id: null, issued_at: instant(d.issuedAt),
        bound_at: null, superseded_at: null, revoked_at: null, revoke_reason: null, uninstalled_at: null, last_position: e.globalPosition,
      };
      rows.put(t, { ...row });
      return;
    }
    const row = rows.get<LicenseRow & Record<string, unknown>>(t, String(e.data.licenseId));
    if (!row) return;
    const at = { last_position: e.globalPosition };
    switch (event.type) {
      case 'LicenseBound': {
        const d = event.data;
        rows.put(t, { ...row, ...at, status: 'bound', device_id: d.deviceId, channel: d.channel, valid_from: instant(d.validFrom), valid_until: instant(d.validUntil), bound_at: instant(d.boundAt) });
        return;
      }
      case 'LicenseAppliedToMspPortal': {
        const d = event.data;
        rows.put(t, { ...row, ...at, status: 'bound', msp_account_id: d.accountId, valid_from: instant(d.validFrom), valid_until: instant(d.validUntil), bound_at: instant(d.appliedAt) });
        return;
      }
      case 'LicenseDeployed':
        rows.put(t, { ...row, ...at, status: 'deployed', deployment_id: event.data.deploymentId });
        return;
      case 'LicenseSuperseded': {
        const d = event.data;
        rows.put(t, { ...row, ...at, status: 'superseded', successor_id: d.successorId, successor_owner_id: d.toAccountId, superseded_at: instant(d.supersededAt) });
        return;
      }
      case 'LicenseRevoked':
        rows.put(t, { ...row, ...at, status: 'revoked', revoked_at: instant(event.data.revokedAt), revoke_reason: event.data.reason });
        return;
      case 'LicenseUninstalled':
        rows.put(t, { ...row, ...at, status: 'uninstalled', uninstalled_at: instant(event.data.uninstalledAt) });
        return;
    }
  },
};
