import type { TableSpec } from '../read-model';
import type { AccountRow } from '../projections/accounts.projection';
import type { LicenseModelRow } from '../projections/catalog.projection';
import type { DeploymentRow } from '../projections/deployments.projection';
import type { DeviceRow } from '../projections/devices.projection';
import type { LicenseRow } from '../projections/licenses.projection';

/**
 * From a read-model row to the JSON a query answers. Live answers (rows read
 * from the tables) and as-of answers (rows folded from the streams) both go
 * through these functions, so they can only differ by the rows.
 */

/** The buckets of an inventory: the license states, plus `expired` (available or bound, past its validUntil). */
export const INVENTORY_STATUSES = ['available', 'bound', 'deployed', 'superseded', 'uninstalled', 'revoked', 'expired'] as const;
export type InventoryStatus = (typeof INVENTORY_STATUSES)[number];

/** A license's bucket at `now` (canonical ISO): an expired license is only counted as expired. */
export function effectiveStatus(row: Pick<LicenseRow, 'status' | 'valid_until'>, now: string): InventoryStatus {
  if ((row.status === 'available' || row.status === 'bound') && row.valid_until !== null && row.valid_until < now) return 'expired';
  return row.status as InventoryStatus;
}

/** The same rule in SQL, over a rm_licenses alias `l` and the canonical `now` as a parameter. */
export const effectiveStatusSql = (now: string) =>
  `CASE WHEN l.status IN ('available', 'bound') AND l.valid_until < (${now}::text COLLATE "C") THEN 'expired' ELSE l.status END`;

/** Rows as the drivers give them: bigint as text on postgres.js, jsonb possibly as text. */
export function normalizeRow<R>(table: TableSpec, row: Record<string, unknown>): R {
  const { numbers, json } = conversionsOf(table);
  // In place: the row is the driver's fresh object, read by nobody else.
  for (const column of numbers) {
    const value = row[column];
    if (value !== null && value !== undefined && typeof value !== 'number') row[column] = Number(value);
  }
  for (const column of json) {
    const value = row[column];
    if (typeof value === 'string') row[column] = JSON.parse(value);
  }
  return row as R;
}

const conversions = new WeakMap<TableSpec, { numbers: string[]; json: string[] }>();
function conversionsOf(table: TableSpec): { numbers: string[]; json: string[] } {
  let known = conversions.get(table);
  if (!known) {
    const columns = Object.entries(table.columns);
    known = {
      numbers: columns.filter(([, type]) => type === 'bigint' || type === 'integer').map(([c]) => c),
      json: columns.filter(([, type]) => type === 'jsonb').map(([c]) => c),
    };
    conversions.set(table, known);
  }
  return known;
}

export interface InventoryCount {
  modelCode: string;
  category: string;
  available: number;
  bound: number;
  deployed: number;
  superseded: number;
  uninstalled: number;
  revoked: number;
  expired: number;
  total: number;
}

/** Counts per (model, category) from (model, category, bucket, n) tuples, sorted by model then category. */
export function countsOf(tuples: Iterable<{ modelCode: string; category: string; status: string; n: number }>): InventoryCount[] {
  const byModel = new Map<string, InventoryCount>();
  for (const t of tuples) {
    const key = `${t.modelCode}\u0000${t.category}`;
    let count = byModel.get(key);
    if (!count) {
      count = { modelCode: t.modelCode, category: t.category, available: 0, bound: 0, deployed: 0, superseded: 0, uninstalled: 0, revoked: 0, expired: 0, total: 0 };
      byModel.set(key, count);
    }
    if ((INVENTORY_STATUSES as readonly string[]).includes(t.status)) count[t.status as InventoryStatus] += t.n;
    count.total += t.n;
  }
  return [...byModel.values()].sort((a, b) => cmp(a.modelCode, b.modelCode) || cmp(a.category, b.category));
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface LicenseSummary {
  licenseId: string;
  ownerId: string;
  modelCode: string;
  category: string;
  bindsTo: string;
  status: InventoryStatus;
  validFrom: string | null;
  validUntil: string | null;
  deviceId: string | null;
  channel: number | null;
  mspAccountId: string | null;
  deploymentId: string | null;
  keyCode: string;
  poNumber: string;
  issuedReason: string;
  issuedAt: string;
  ownerName?: string | null;
}

export function licenseSummary(row: LicenseRow, now: string): LicenseSummary {
  return {
    licenseId: row.license_id,
    ownerId: row.owner_id,
    modelCode: row.model_code,
    category: row.category,
    bindsTo: row.binds_to,
    status: effectiveStatus(row, now),
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    deviceId: row.device_id,
    channel: row.channel,
    mspAccountId: row.msp_account_id,
    deploymentId: row.deployment_id,
    keyCode: row.key_code,
    poNumber: row.po_number,
    issuedReason: row.issued_reason,
    issuedAt: row.issued_at,
  };
}

export interface LineageEntry {
  licenseId: string;
  ownerId: string;
  status: InventoryStatus;
  /** Why this license came to exist: claim, or the hand-off that superseded its predecessor. */
  reason: string;
}

const lineageEntry = (row: LicenseRow, now: string): LineageEntry => ({
  licenseId: row.license_id,
  ownerId: row.owner_id,
  status: effectiveStatus(row, now),
  reason: row.issued_reason,
});

export interface PartyRef {
  accountId: string;
  name: string | null;
  kind: string | null;
}

const partyRef = (id: string, account: AccountRow | undefined): PartyRef => ({ accountId: id, name: account?.name ?? null, kind: account?.kind ?? null });

export function licenseDetail(
  row: LicenseRow,
  related: { model: LicenseModelRow | undefined; owner: AccountRow | undefined; predecessors: readonly LicenseRow[]; successors: readonly LicenseRow[] },
  now: string,
) {
  const status = effectiveStatus(row, now);
  return {
    licenseId: row.license_id,
    status,
    model: {
      code: row.model_code,
      name: related.model?.name ?? null,
      category: row.category,
      bindsTo: row.binds_to,
      termDays: row.term_days,
      seats: row.seats,
    },
    owner: partyRef(row.owner_id, related.owner),
    binding: row.device_id !== null || row.msp_account_id !== null ? { deviceId: row.device_id, channel: row.channel, mspAccountId: row.msp_account_id } : null,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    expired: status === 'expired',
    deploymentId: row.deployment_id,
    keyCode: row.key_code,
    poNumber: row.po_number,
    forcedActivationDate: row.forced_activation_date,
    issuedReason: row.issued_reason,
    issuedAt: row.issued_at,
    boundAt: row.bound_at,
    supersededAt: row.superseded_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    uninstalledAt: row.uninstalled_at,
    predecessorId: row.predecessor_id,
    successorId: row.successor_id,
    predecessors: related.predecessors.map((r) => lineageEntry(r, now)),
    successors: related.successors.map((r) => lineageEntry(r, now)),
  };
}
export type LicenseDetail = ReturnType<typeof licenseDetail>;

const isExpired = (until: string | null, now: string): boolean => until !== null && until !== 'perpetual' && until < now;

export function deviceSummary(row: DeviceRow, now: string) {
  return {
    deviceId: row.device_id,
    ownerId: row.owner_id,
    serial: row.serial,
    model: row.model,
    channels: row.channels,
    registeredAt: row.registered_at,
    validUntil: Object.fromEntries(
      Object.entries(row.valid_until)
        .sort(([a], [b]) => cmp(a, b))
        .map(([category, until]) => [category, { validUntil: until, expired: isExpired(until, now) }]),
    ),
    earliestExpiry: row.earliest_expiry,
    expired: isExpired(row.earliest_expiry, now),
  };
}
export type DeviceSummary = ReturnType<typeof deviceSummary>;

export function deviceView(row: DeviceRow, related: { owner: AccountRow | undefined; licenses: ReadonlyMap<string, LicenseRow> }, now: string) {
  const byCategory: Record<string, { licenseId: string; modelCode: string | null; status: InventoryStatus | null; channel: number | null; validFrom: string; validUntil: string | null }[]> = {};
  const bindings = Object.entries(row.bindings).sort(([a, x], [b, y]) => cmp(x.validFrom, y.validFrom) || cmp(a, b));
  for (const [licenseId, binding] of bindings) {
    const license = related.licenses.get(licenseId);
    (byCategory[binding.category] ??= []).push({
      licenseId,
      modelCode: license?.model_code ?? null,
      status: license ? effectiveStatus(license, now) : null,
      channel: binding.channel,
      validFrom: binding.validFrom,
      validUntil: binding.validUntil,
    });
  }
  const { ownerId, ...summary } = deviceSummary(row, now);
  return {
    ...summary,
    owner: partyRef(ownerId, related.owner),
    channelCoverage: Object.fromEntries(
      Object.entries(row.channel_coverage)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([channel, c]) => [channel, { licenseId: c.licenseId, validUntil: c.validUntil, expired: isExpired(c.validUntil, now) }]),
    ),
    licenses: Object.fromEntries(Object.entries(byCategory).sort(([a], [b]) => cmp(a, b))),
  };
}
export type DeviceView = ReturnType<typeof deviceView>;

export function accountView(row: AccountRow, names: ReadonlyMap<string, AccountRow>, now: string) {
  const parent = row.parent_id === null ? null : partyRef(row.parent_id, names.get(row.parent_id));
  return {
    accountId: row.account_id,
    kind: row.kind,
    name: row.name,
    parentId: row.parent_id,
    parent,
    emails: row.emails,
    linkedAccounts: row.linked.map((id) => ({ accountId: id, name: names.get(id)?.name ?? null })),
    mspPortalValidUntil: row.msp_portal_valid_until,
    mspPortalValid: row.msp_portal_valid_until !== null && row.msp_portal_valid_until >= now,
    openedAt: row.opened_at,
  };
}
export type AccountView = ReturnType<typeof accountView>;

export function deploymentView(row: DeploymentRow) {
  return {
    deploymentId: row.deployment_id,
    ownerId: row.owner_id,
    creatorId: row.creator_id,
    serverId: row.server_id,
    state: row.status,
    licenseIds: row.license_ids,
    maintenanceUntil: row.maintenance_until,
    fileNo: row.file_no,
    fileIssuedAt: row.file_issued_at,
    fileLicenseIds: row.file_license_ids,
    createdAt: row.created_at,
    uninstalledAt: row.uninstalled_at,
  };
}
export type DeploymentView = ReturnType<typeof deploymentView>;
