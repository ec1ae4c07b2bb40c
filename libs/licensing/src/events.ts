/**
 * The facts the ledger records. Type names are never renamed once written;
 * a change of shape gets a new schema version and an upcaster. Every value is
 * JSON-safe (ids, numbers, ISO-8601 strings) and every decision's inputs (the
 * time, the ids chosen) are in the data, so replays are deterministic.
 */

import type { Role } from './access';

export type AccountKind = 'vendor' | 'partner' | 'customer';
export type BindsTo = 'device' | 'channel' | 'account' | 'deployment' | 'msp-portal';

/** What a license keeps of its model, copied at issue (models never change once defined). */
export interface ModelTerms {
  code: string;
  category: string;
  bindsTo: BindsTo;
  /** null: perpetual. */
  termDays: number | null;
  seats: number;
  /** Device models the license fits; empty: any. */
  deviceModels: string[];
}

/** Why a license changed hands (its predecessor is superseded). */
export type HandOffReason = 'allocation' | 'sale' | 'transfer' | 'move' | 'deployment-sale' | 'binding-hand-off';

// --- account-<id> ---
export interface AccountOpened {
  type: 'AccountOpened';
  data: { accountId: string; kind: AccountKind; name: string; parentId: string | null; emails: string[]; openedAt: string };
}
export interface AccountLinked {
  type: 'AccountLinked';
  data: { accountId: string; linkedAccountId: string; linkedAt: string };
}
export interface MspPortalExtended {
  type: 'MspPortalExtended';
  data: { accountId: string; licenseId: string; termDays: number; validFrom: string; validUntil: string; extendedAt: string };
}

/** A revoked license stops extending the portal: what it had left is taken off the end. */
export interface MspPortalShortened {
  type: 'MspPortalShortened';
  data: { accountId: string; licenseId: string; validUntil: string | null; shortenedAt: string };
}

// --- model-<code> ---
export interface LicenseModelDefined {
  type: 'LicenseModelDefined';
  data: ModelTerms & { name: string; definedAt: string };
}

// --- po-<poNumber> ---
export interface PurchaseOrderLine {
  lineNo: number;
  modelCode: string;
  quantity: number;
  /** The licenses' terms start at this date at the latest, activated or not. */
  forcedActivationDate: string | null;
}
export interface PurchaseOrderPlaced {
  type: 'PurchaseOrderPlaced';
  data: { poNumber: string; buyerId: string; deliveryEmails: string[]; lines: PurchaseOrderLine[]; placedAt: string };
}
export interface IssuedKey {
  keyCode: string;
  lineNo: number;
  modelCode: string;
  quantity: number;
}
export interface PurchaseOrderFulfilled {
  type: 'PurchaseOrderFulfilled';
  data: { poNumber: string; keys: IssuedKey[]; fulfilledAt: string };
}

// --- key-<keyCode> ---
export interface LicenseKeyIssued {
  type: 'LicenseKeyIssued';
  data: {
    keyCode: string;
    poNumber: string;
    lineNo: number;
    buyerId: string;
    modelCode: string;
    quantity: number;
    /** null: the key can be claimed at any time. */
    validUntil: string | null;
    forcedActivationDate: string | null;
    issuedAt: string;
  };
}
export interface Binding {
  licenseId: string;
  deviceId: string;
  channel: number | null;
}
export interface KeyClaimed {
  type: 'KeyClaimed';
  data: { keyCode: string; accountId: string; licenseIds: string[]; autoAssociate: boolean; bindings: Binding[]; claimedAt: string };
}

// --- license-<id> ---
export interface LicenseIssued {
  type: 'LicenseIssued';
  data: {
    licenseId: string;
    ownerId: string;
    model: ModelTerms;
    keyCode: string;
    poNumber: string;
    forcedActivationDate: string | null;
    /** The license this one succeeds (null for one unzipped from a key). */
    predecessorId: string | null;
    reason: HandOffReason | 'claim';
    issuedAt: string;
  };
}
export interface LicenseBound {
  type: 'LicenseBound';
  data: {
    licenseId: string;
    deviceId: string;
    channel: number | null;
    /** The term this binding grants (null until for a perpetual license). */
    validFrom: string;
    validUntil: string | null;
    autoAssociated: boolean;
    boundAt: string;
  };
}
export interface LicenseDeployed {
  type: 'LicenseDeployed';
  data: { licenseId: string; deploymentId: string; deployedAt: string };
}
export interface LicenseSuperseded {
  type: 'LicenseSuperseded';
  data: { licenseId: string; successorId: string; toAccountId: string; reason: HandOffReason; supersededAt: string };
}
export interface LicenseRevoked {
  type: 'LicenseRevoked';
  data: { licenseId: string; reason: string; revokedAt: string };
}
export interface LicenseUninstalled {
  type: 'LicenseUninstalled';
  data: { licenseId: string; deploymentId: string; uninstalledAt: string };
}
export interface LicenseAppliedToMspPortal {
  type: 'LicenseAppliedToMspPortal';
  data: { licenseId: string; accountId: string; validFrom: string; validUntil: string; appliedAt: string };
}

// --- device-<id> and serial-<serial> ---
export interface DeviceRegistered {
  type: 'DeviceRegistered';
  data: { deviceId: string; ownerId: string; serial: string; model: string; channels: number; registeredAt: string };
}
export interface DeviceSerialReserved {
  type: 'DeviceSerialReserved';
  data: { serial: string; deviceId: string; reservedAt: string };
}
export interface DeviceLicenseBound {
  type: 'DeviceLicenseBound';
  data: {
    deviceId: string;
    licenseId: string;
    category: string;
    channel: number | null;
    validFrom: string;
    validUntil: string | null;
    boundAt: string;
  };
}

/** A revoked license no longer covers its device: the category's validity (or the channel) after it. */
export interface DeviceLicenseRevoked {
  type: 'DeviceLicenseRevoked';
  data: {
    deviceId: string;
    licenseId: string;
    category: string;
    channel: number | null;
    /** The device's validity for the category after the revocation: a date, 'perpetual', or null when none is left (always null for a channel license: its channel is freed). */
    validUntil: string | null;
    revokedAt: string;
  };
}

// --- deployment-<id> ---
export interface DeploymentCreated {
  type: 'DeploymentCreated';
  data: {
    deploymentId: string;
    creatorId: string;
    ownerId: string;
    serverId: string;
    licenseIds: string[];
    maintenanceUntil: string | null;
    createdAt: string;
  };
}
export interface DeploymentInstalled {
  type: 'DeploymentInstalled';
  /** licenseIds: what the license file lists (a file is a fact: asking again gives the same one). */
  data: { deploymentId: string; fileNo: number; licenseIds: string[]; maintenanceUntil: string | null; installedAt: string };
}
export interface MaintenanceRenewed {
  type: 'MaintenanceRenewed';
  data: { deploymentId: string; fileNo: number; licenseIds: string[]; maintenanceUntil: string; renewedAt: string };
}
export interface DeploymentUninstalled {
  type: 'DeploymentUninstalled';
  data: { deploymentId: string; licenseIds: string[]; uninstalledAt: string };
}

// --- apikey-<keyId> ---
/** A credential was issued. Never the key itself: only who holds it, for what, until when. */
export interface ApiKeyCreated {
  type: 'ApiKeyCreated';
  data: {
    keyId: string;
    /** The visible start of the key (`ldg_<keyId>`), so people can tell their keys apart. */
    prefix: string;
    accountId: string;
    role: Role;
    name: string;
    deviceId: string | null;
    serverId: string | null;
    expiresAt: string | null;
    createdAt: string;
  };
}
export interface ApiKeyRevoked {
  type: 'ApiKeyRevoked';
  data: { keyId: string; reason: string | null; revokedAt: string };
}

export type AccountEvent = AccountOpened | AccountLinked | MspPortalExtended | MspPortalShortened;
export type LicenseModelEvent = LicenseModelDefined;
export type PurchaseOrderEvent = PurchaseOrderPlaced | PurchaseOrderFulfilled;
export type KeyEvent = LicenseKeyIssued | KeyClaimed;
export type LicenseEvent =
  | LicenseIssued
  | LicenseBound
  | LicenseDeployed
  | LicenseSuperseded
  | LicenseRevoked
  | LicenseUninstalled
  | LicenseAppliedToMspPortal;
export type DeviceEvent = DeviceRegistered | DeviceLicenseBound | DeviceLicenseRevoked;
export type SerialEvent = DeviceSerialReserved;
export type DeploymentEvent = DeploymentCreated | DeploymentInstalled | MaintenanceRenewed | DeploymentUninstalled;
export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;

export type LedgerEvent =
  | AccountEvent
  | LicenseModelEvent
  | PurchaseOrderEvent
  | KeyEvent
  | LicenseEvent
  | DeviceEvent
  | SerialEvent
  | DeploymentEvent
  | ApiKeyEvent;

export type LedgerEventType = LedgerEvent['type'];
