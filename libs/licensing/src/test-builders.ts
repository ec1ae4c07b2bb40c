import type { Role } from './access';
import type { Emitted } from './decision';
import type { AccountKind, BindsTo, HandOffReason, ModelTerms, PurchaseOrderLine } from './events';
import { KEY_ALPHABET, KEY_PAYLOAD_LENGTH, formatKeyCode } from './ids';
import { normalizeSerial, streamId } from './streams';

/**
 * Small builders of the ledger's past for the deciders' unit tests: each
 * returns the Emitted tuples ([streamId, event]) a use case would have
 * written, to spread into `given([...])`. Ids always come from the caller,
 * so every test chooses fresh ones.
 */

/** A fixed instant in the past of every test's "now". */
export const EARLIER = '2025-01-01T00:00:00.000Z';

// ---------------------------------------------------------------- accounts

export function accountOpened(accountId: string, kind: AccountKind, parentId: string | null, openedAt = EARLIER): Emitted[] {
  return [[streamId.account(accountId), { type: 'AccountOpened', data: { accountId, kind, name: `${kind} ${accountId.slice(0, 8)}`, parentId, emails: [], openedAt } }]];
}

export const vendorOpened = (accountId: string): Emitted[] => accountOpened(accountId, 'vendor', null);
export const partner = (accountId: string, parentId: string): Emitted[] => accountOpened(accountId, 'partner', parentId);
export const customer = (accountId: string, partnerId: string): Emitted[] => accountOpened(accountId, 'customer', partnerId);

/** Both sides of a link, as LinkAccounts records it. */
export function accountsLinked(accountId: string, linkedAccountId: string, linkedAt = EARLIER): Emitted[] {
  return [
    [streamId.account(accountId), { type: 'AccountLinked', data: { accountId, linkedAccountId, linkedAt } }],
    [streamId.account(linkedAccountId), { type: 'AccountLinked', data: { accountId: linkedAccountId, linkedAccountId: accountId, linkedAt } }],
  ];
}

export function mspPortalExtended(o: { accountId: string; licenseId: string; termDays: number; validFrom: string; validUntil: string; extendedAt?: string }): Emitted[] {
  return [[streamId.account(o.accountId), { type: 'MspPortalExtended', data: { extendedAt: EARLIER, ...o } }]];
}

// ---------------------------------------------------------------- catalog

/** Model terms with defaults: a one-year device license of the `pro` category that fits any device. */
export function terms(o: Partial<ModelTerms> & { code: string }): ModelTerms {
  return { category: 'pro', bindsTo: 'device' as BindsTo, termDays: 365, seats: 1, deviceModels: [], ...o };
}

export function modelDefined(model: ModelTerms, name = `model ${model.code}`, definedAt = EARLIER): Emitted[] {
  return [[streamId.model(model.code), { type: 'LicenseModelDefined', data: { ...model, name, definedAt } }]];
}

// ---------------------------------------------------------------- orders and keys

/** A well-formed key code made from a UUID (its first 19 hex digits are the payload). */
export function keyCodeFor(uuid: string): string {
  const hex = uuid.replace(/-/g, '').toUpperCase();
  const payload = [...hex.slice(0, KEY_PAYLOAD_LENGTH)].map((h) => KEY_ALPHABET[Number.parseInt(h, 16)]!).join('');
  return formatKeyCode(payload);
}

export function purchaseOrderPlaced(o: {
  poNumber: string;
  buyerId: string;
  lines: { modelCode: string; quantity: number; forcedActivationDate?: string | null }[];
  deliveryEmails?: string[];
  placedAt?: string;
}): Emitted[] {
  const lines: PurchaseOrderLine[] = o.lines.map((l, i) => ({ lineNo: i + 1, modelCode: l.modelCode, quantity: l.quantity, forcedActivationDate: l.forcedActivationDate ?? null }));
  return [
    [
      streamId.purchaseOrder(o.poNumber),
      { type: 'PurchaseOrderPlaced', data: { poNumber: o.poNumber, buyerId: o.buyerId, deliveryEmails: o.deliveryEmails ?? ['orders@example.com'], lines, placedAt: o.placedAt ?? EARLIER } },
    ],
  ];
}

export function keyIssued(o: {
  keyCode: string;
  buyerId: string;
  modelCode: string;
  quantity: number;
  poNumber?: string;
  lineNo?: number;
  validUntil?: string | null;
  forcedActivationDate?: string | null;
  issuedAt?: string;
}): Emitted[] {
  return [
    [
      streamId.key(o.keyCode),
      {
        type: 'LicenseKeyIssued',
        data: {
          keyCode: o.keyCode,
          poNumber: o.poNumber ?? `PO-${o.keyCode}`,
          lineNo: o.lineNo ?? 1,
          buyerId: o.buyerId,
          modelCode: o.modelCode,
          quantity: o.quantity,
          validUntil: o.validUntil ?? null,
          forcedActivationDate: o.forcedActivationDate ?? null,
          issuedAt: o.issuedAt ?? EARLIER,
        },
      },
    ],
  ];
}

export function keyClaimed(o: { keyCode: string; accountId: string; licenseIds: string[]; claimedAt?: string }): Emitted[] {
  return [[streamId.key(o.keyCode), { type: 'KeyClaimed', data: { keyCode: o.keyCode, accountId: o.accountId, licenseIds: o.licenseIds, autoAssociate: false, bindings: [], claimedAt: o.claimedAt ?? EARLIER } }]];
}

// ---------------------------------------------------------------- licenses

export function licenseIssued(o: {
  licenseId: string;
  ownerId: string;
  model: ModelTerms;
  keyCode?: string;
  poNumber?: string;
  forcedActivationDate?: string | null;
  predecessorId?: string | null;
  reason?: HandOffReason | 'claim';
  issuedAt?: string;
}): Emitted[] {
  return [
    [
      streamId.license(o.licenseId),
      {
        type: 'LicenseIssued',
        data: {
          licenseId: o.licenseId,
          ownerId: o.ownerId,
          model: o.model,
          keyCode: o.keyCode ?? 'KEY',
          poNumber: o.poNumber ?? 'PO',
          forcedActivationDate: o.forcedActivationDate ?? null,
          predecessorId: o.predecessorId ?? null,
          reason: o.reason ?? 'claim',
          issuedAt: o.issuedAt ?? EARLIER,
        },
      },
    ],
  ];
}

/** A license bound to a device (both sides: LicenseBound and DeviceLicenseBound). */
export function licenseBoundToDevice(o: {
  licenseId: string;
  deviceId: string;
  category: string;
  channel?: number | null;
  validFrom?: string;
  validUntil: string | null;
  autoAssociated?: boolean;
  boundAt?: string;
}): Emitted[] {
  const channel = o.channel ?? null;
  const validFrom = o.validFrom ?? EARLIER;
  const boundAt = o.boundAt ?? EARLIER;
  return [
    [streamId.license(o.licenseId), { type: 'LicenseBound', data: { licenseId: o.licenseId, deviceId: o.deviceId, channel, validFrom, validUntil: o.validUntil, autoAssociated: o.autoAssociated ?? false, boundAt } }],
    [streamId.device(o.deviceId), { type: 'DeviceLicenseBound', data: { deviceId: o.deviceId, licenseId: o.licenseId, category: o.category, channel, validFrom, validUntil: o.validUntil, boundAt } }],
  ];
}

export function licenseDeployed(licenseId: string, deploymentId: string, deployedAt = EARLIER): Emitted[] {
  return [[streamId.license(licenseId), { type: 'LicenseDeployed', data: { licenseId, deploymentId, deployedAt } }]];
}

export function licenseSuperseded(o: { licenseId: string; successorId: string; toAccountId: string; reason?: HandOffReason; supersededAt?: string }): Emitted[] {
  return [
    [
      streamId.license(o.licenseId),
      { type: 'LicenseSuperseded', data: { licenseId: o.licenseId, successorId: o.successorId, toAccountId: o.toAccountId, reason: o.reason ?? 'sale', supersededAt: o.supersededAt ?? EARLIER } },
    ],
  ];
}

export function licenseRevoked(licenseId: string, reason = 'fraud', revokedAt = EARLIER): Emitted[] {
  return [[streamId.license(licenseId), { type: 'LicenseRevoked', data: { licenseId, reason, revokedAt } }]];
}

export function licenseUninstalled(licenseId: string, deploymentId: string, uninstalledAt = EARLIER): Emitted[] {
  return [[streamId.license(licenseId), { type: 'LicenseUninstalled', data: { licenseId, deploymentId, uninstalledAt } }]];
}

export function licenseAppliedToMspPortal(o: { licenseId: string; accountId: string; validFrom: string; validUntil: string; appliedAt?: string }): Emitted[] {
  return [[streamId.license(o.licenseId), { type: 'LicenseAppliedToMspPortal', data: { appliedAt: EARLIER, ...o } }]];
}

// ---------------------------------------------------------------- devices

/** A registered device: its serial reserved and the device itself. */
export function deviceRegistered(o: { deviceId: string; ownerId: string; serial?: string; model?: string; channels?: number; registeredAt?: string }): Emitted[] {
  const serial = normalizeSerial(o.serial ?? `SN-${o.deviceId}`);
  const registeredAt = o.registeredAt ?? EARLIER;
  return [
    [streamId.serial(serial), { type: 'DeviceSerialReserved', data: { serial, deviceId: o.deviceId, reservedAt: registeredAt } }],
    [streamId.device(o.deviceId), { type: 'DeviceRegistered', data: { deviceId: o.deviceId, ownerId: o.ownerId, serial, model: o.model ?? 'AP-1', channels: o.channels ?? 0, registeredAt } }],
  ];
}

// ---------------------------------------------------------------- deployments

export function deploymentCreated(o: {
  deploymentId: string;
  creatorId: string;
  ownerId?: string;
  serverId?: string;
  licenseIds: string[];
  maintenanceUntil?: string | null;
  createdAt?: string;
}): Emitted[] {
  return [
    [
      streamId.deployment(o.deploymentId),
      {
        type: 'DeploymentCreated',
        data: {
          deploymentId: o.deploymentId,
          creatorId: o.creatorId,
          ownerId: o.ownerId ?? o.creatorId,
          serverId: o.serverId ?? `server-${o.deploymentId}`,
          licenseIds: o.licenseIds,
          maintenanceUntil: o.maintenanceUntil ?? null,
          createdAt: o.createdAt ?? EARLIER,
        },
      },
    ],
  ];
}

export function deploymentInstalled(o: { deploymentId: string; fileNo?: number; licenseIds?: string[]; maintenanceUntil?: string | null; installedAt?: string }): Emitted[] {
  return [[streamId.deployment(o.deploymentId), { type: 'DeploymentInstalled', data: { deploymentId: o.deploymentId, fileNo: o.fileNo ?? 1, licenseIds: o.licenseIds ?? [], maintenanceUntil: o.maintenanceUntil ?? null, installedAt: o.installedAt ?? EARLIER } }]];
}

export function maintenanceRenewed(o: { deploymentId: string; fileNo: number; licenseIds?: string[]; maintenanceUntil: string; renewedAt?: string }): Emitted[] {
  return [[streamId.deployment(o.deploymentId), { type: 'MaintenanceRenewed', data: { renewedAt: EARLIER, licenseIds: [], ...o } }]];
}

export function deploymentUninstalled(o: { deploymentId: string; licenseIds: string[]; uninstalledAt?: string }): Emitted[] {
  return [[streamId.deployment(o.deploymentId), { type: 'DeploymentUninstalled', data: { uninstalledAt: EARLIER, ...o } }]];
}

/**
 * A hand-off as every handing use case records it: the predecessor superseded,
 * its successor issued to the receiver with the same model, key and PO.
 */
export function licenseHandedOn(o: {
  licenseId: string;
  successorId: string;
  toAccountId: string;
  model: ModelTerms;
  reason: HandOffReason;
  at: string;
  keyCode?: string;
  poNumber?: string;
  forcedActivationDate?: string | null;
}): Emitted[] {
  return [
    ...licenseSuperseded({ licenseId: o.licenseId, successorId: o.successorId, toAccountId: o.toAccountId, reason: o.reason, supersededAt: o.at }),
    ...licenseIssued({
      licenseId: o.successorId,
      ownerId: o.toAccountId,
      model: o.model,
      keyCode: o.keyCode ?? 'KEY',
      poNumber: o.poNumber ?? 'PO',
      forcedActivationDate: o.forcedActivationDate ?? null,
      predecessorId: o.licenseId,
      reason: o.reason,
      issuedAt: o.at,
    }),
  ];
}

/**
 * The usual cast: the vendor, a partner with one customer, and another
 * partner with its own customer (for "not your end user" refusals), plus the
 * given models. Ids come from `newId` so that each test has fresh streams.
 */
export function twoPartners(newId: () => string, models: readonly ModelTerms[]) {
  const vendorId = newId();
  const partnerId = newId();
  const customerId = newId();
  const otherPartnerId = newId();
  const othersCustomerId = newId();
  const events: Emitted[] = [
    ...vendorOpened(vendorId),
    ...partner(partnerId, vendorId),
    ...customer(customerId, partnerId),
    ...partner(otherPartnerId, vendorId),
    ...customer(othersCustomerId, otherPartnerId),
    ...models.flatMap((m) => modelDefined(m)),
  ];
  return { vendorId, partnerId, customerId, otherPartnerId, othersCustomerId, events };
}

/**
 * A partner's deployment, created (not installed): the vendor, the partner,
 * one license per model given (each model defined once), all deployed.
 */
export function partnerDeployment(newId: () => string, models: readonly ModelTerms[], o: { serverId?: string; maintenanceUntil?: string | null } = {}) {
  const vendorId = newId();
  const partnerId = newId();
  const deploymentId = newId();
  const licenseIds = models.map(() => newId());
  const distinct = [...new Map(models.map((m) => [m.code, m])).values()];
  const events: Emitted[] = [
    ...vendorOpened(vendorId),
    ...partner(partnerId, vendorId),
    ...distinct.flatMap((m) => modelDefined(m)),
    ...models.flatMap((model, i) => licenseIssued({ licenseId: licenseIds[i]!, ownerId: partnerId, model })),
    ...deploymentCreated({ deploymentId, creatorId: partnerId, licenseIds, ...o }),
    ...licenseIds.flatMap((id) => licenseDeployed(id, deploymentId)),
  ];
  return { partnerId, deploymentId, licenseIds, events };
}

// ---------------------------------------------------------------- credentials

export function apiKeyCreated(o: { keyId: string; accountId: string; role?: Role; deviceId?: string | null; expiresAt?: string | null; createdAt?: string }): Emitted[] {
  const data = {
    keyId: o.keyId, prefix: `ldg_${o.keyId}`, accountId: o.accountId, role: o.role ?? 'backoffice', name: `key ${o.keyId}`,
    deviceId: o.deviceId ?? null, serverId: null, expiresAt: o.expiresAt ?? null, createdAt: o.createdAt ?? EARLIER,
  };
  return [[streamId.apiKey(o.keyId), { type: 'ApiKeyCreated', data }]];
}
