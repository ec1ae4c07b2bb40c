import type { Role } from './access';
import type {
  AccountEvent,
  ApiKeyEvent,
  AccountKind,
  DeploymentEvent,
  DeviceEvent,
  HandOffReason,
  KeyEvent,
  LedgerEvent,
  LicenseEvent,
  LicenseIssued,
  LicenseModelEvent,
  ModelTerms,
  PurchaseOrderEvent,
  PurchaseOrderLine,
  IssuedKey,
  SerialEvent,
} from './events';

/**
 * One stream per aggregate; its id is `<kind>-<natural id>`. Natural ids that
 * must be unique (PO numbers, serials, key codes, model codes) are stream ids,
 * so the store's `no_stream` expectation is what makes them unique.
 */
export type StreamKind = 'account' | 'model' | 'po' | 'key' | 'license' | 'device' | 'serial' | 'deployment' | 'apikey';

export const streamId = {
  account: (id: string) => `account-${id}`,
  model: (code: string) => `model-${code}`,
  purchaseOrder: (poNumber: string) => `po-${poNumber}`,
  key: (keyCode: string) => `key-${keyCode}`,
  license: (id: string) => `license-${id}`,
  device: (id: string) => `device-${id}`,
  // Serials are unique whatever their case or spacing, as people type them.
  serial: (serial: string) => `serial-${normalizeSerial(serial)}`,
  deployment: (id: string) => `deployment-${id}`,
  apiKey: (keyId: string) => `apikey-${keyId}`,
} as const;

export function normalizeSerial(serial: string): string {
  return serial.replace(/\s+/g, '').toUpperCase();
}

export function streamKind(id: string): StreamKind {
  const kind = id.slice(0, id.indexOf('-'));
  if (!(kind in INITIAL)) throw new Error(`not a licensing stream: ${id}`);
  return kind as StreamKind;
}

// ---------------------------------------------------------------- states

export interface AccountState {
  exists: boolean;
  accountId: string;
  kind: AccountKind;
  name: string;
  parentId: string | null;
  emails: string[];
  linked: string[];
  /** End of the MSP portal's validity (null: never extended). */
  mspPortalValidUntil: string | null;
}

export interface LicenseModelState extends ModelTerms {
  exists: boolean;
  name: string;
}

export interface PurchaseOrderState {
  exists: boolean;
  poNumber: string;
  buyerId: string;
  deliveryEmails: string[];
  lines: PurchaseOrderLine[];
  keys: IssuedKey[] | null;
}

export interface KeyState {
  exists: boolean;
  keyCode: string;
  poNumber: string;
  buyerId: string;
  modelCode: string;
  quantity: number;
  validUntil: string | null;
  forcedActivationDate: string | null;
  claimedBy: string | null;
  licenseIds: string[];
}

export type LicenseStatus = 'available' | 'bound' | 'deployed' | 'superseded' | 'revoked' | 'uninstalled';

/** What LicenseIssued says of the license, and what happened to it since. */
export interface LicenseState extends Omit<LicenseIssued['data'], 'reason'> {
  exists: boolean;
  status: LicenseStatus;
  /** What the license is bound to while `bound`. */
  binding: { deviceId: string | null; channel: number | null; mspAccountId: string | null; validFrom: string; validUntil: string | null } | null;
  deploymentId: string | null;
  successor: { licenseId: string; accountId: string; reason: HandOffReason } | null;
}

export interface DeviceState {
  exists: boolean;
  deviceId: string;
  ownerId: string;
  serial: string;
  model: string;
  channels: number;
  registeredAt: string;
  /** Per category: the end of the validity the bound licenses give; 'perpetual' once a perpetual one is bound. */
  validUntil: Record<string, string>;
  /** Per channel number: the license covering it and until when (null: perpetual). */
  channelCoverage: Record<string, { licenseId: string; validUntil: string | null }>;
  /** What each license bound to the device (and not revoked) grants, for revocations. */
  bindings: Record<string, { category: string; channel: number | null; validFrom: string; validUntil: string | null }>;
}

export interface SerialState {
  exists: boolean;
  deviceId: string;
}

export interface DeploymentState {
  exists: boolean;
  deploymentId: string;
  creatorId: string;
  ownerId: string;
  serverId: string;
  licenseIds: string[];
  status: 'created' | 'installed' | 'uninstalled';
  maintenanceUntil: string | null;
  /** Number of the last license file issued (0: none yet). */
  fileNo: number;
  /** When the current license file was issued, and the licenses it lists. */
  fileIssuedAt: string | null;
  fileLicenseIds: string[];
}

export interface ApiKeyState {
  exists: boolean;
  keyId: string;
  accountId: string;
  role: Role;
  deviceId: string | null;
  serverId: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export const PERPETUAL = 'perpetual';

const NO_MODEL: ModelTerms = { code: '', category: '', bindsTo: 'device', termDays: null, seats: 0, deviceModels: [] };

const INITIAL = {
  account: (): AccountState => ({ exists: false, accountId: '', kind: 'customer', name: '', parentId: null, emails: [], linked: [], mspPortalValidUntil: null }),
  model: (): LicenseModelState => ({ exists: false, name: '', ...NO_MODEL }),
  po: (): PurchaseOrderState => ({ exists: false, poNumber: '', buyerId: '', deliveryEmails: [], lines: [], keys: null }),
  key: (): KeyState => ({
    exists: false, keyCode: '', poNumber: '', buyerId: '', modelCode: '', quantity: 0,
    validUntil: null, forcedActivationDate: null, claimedBy: null, licenseIds: [],
  }),
  license: (): LicenseState => ({
    exists: false, licenseId: '', ownerId: '', model: NO_MODEL, keyCode: '', poNumber: '', forcedActivationDate: null,
    predecessorId: null, issuedAt: '', status: 'available', binding: null, deploymentId: null, successor: null,
  }),
  device: (): DeviceState => ({
    exists: false, deviceId: '', ownerId: '', serial: '', model: '', channels: 0, registeredAt: '',
    validUntil: {}, channelCoverage: {}, bindings: {},
  }),
  serial: (): SerialState => ({ exists: false, deviceId: '' }),
  deployment: (): DeploymentState => ({
    exists: false, deploymentId: '', creatorId: '', ownerId: '', serverId: '', licenseIds: [],
    status: 'created', maintenanceUntil: null, fileNo: 0, fileIssuedAt: null, fileLicenseIds: [],
  }),
  apikey: (): ApiKeyState => ({ exists: false, keyId: '', accountId: '', role: 'dashboard', deviceId: null, serverId: null, expiresAt: null, revokedAt: null }),
} satisfies Record<StreamKind, () => unknown>;

export interface StateOf {
  account: AccountState;
  model: LicenseModelState;
  po: PurchaseOrderState;
  key: KeyState;
  license: LicenseState;
  device: DeviceState;
  serial: SerialState;
  deployment: DeploymentState;
  apikey: ApiKeyState;
}
export type AnyState = StateOf[StreamKind];

export function initialState<K extends StreamKind>(kind: K): StateOf[K] {
  return INITIAL[kind]() as StateOf[K];
}

// ---------------------------------------------------------------- evolve

export function evolveAccount(s: AccountState, e: AccountEvent): AccountState {
  switch (e.type) {
    case 'AccountOpened':
      return { ...s, exists: true, accountId: e.data.accountId, kind: e.data.kind, name: e.data.name, parentId: e.data.parentId, emails: e.data.emails };
    case 'AccountLinked':
      return { ...s, linked: [...s.linked, e.data.linkedAccountId] };
    case 'MspPortalExtended':
    case 'MspPortalShortened':
      return { ...s, mspPortalValidUntil: e.data.validUntil };
  }
}

export function evolveModel(s: LicenseModelState, e: LicenseModelEvent): LicenseModelState {
  const { definedAt: _definedAt, ...terms } = e.data;
  return { ...s, ...terms, exists: true };
}

export function evolvePurchaseOrder(s: PurchaseOrderState, e: PurchaseOrderEvent): PurchaseOrderState {
  switch (e.type) {
    case 'PurchaseOrderPlaced':
      return { exists: true, poNumber: e.data.poNumber, buyerId: e.data.buyerId, deliveryEmails: e.data.deliveryEmails, lines: e.data.lines, keys: null };
    case 'PurchaseOrderFulfilled':
      return { ...s, keys: e.data.keys };
  }
}

export function evolveKey(s: KeyState, e: KeyEvent): KeyState {
  switch (e.type) {
    case 'LicenseKeyIssued': {
      const { issuedAt: _issuedAt, lineNo: _lineNo, ...rest } = e.data;
      return { ...s, ...rest, exists: true };
    }
    case 'KeyClaimed':
      return { ...s, claimedBy: e.data.accountId, licenseIds: e.data.licenseIds };
  }
}

export function evolveLicense(s: LicenseState, e: LicenseEvent): LicenseState {
  switch (e.type) {
    case 'LicenseIssued': {
      const { reason: _reason, ...issued } = e.data;
      return { ...s, ...issued, exists: true, status: 'available' };
    }
    case 'LicenseBound':
      return {
        ...s,
        status: 'bound',
        binding: { deviceId: e.data.deviceId, channel: e.data.channel, mspAccountId: null, validFrom: e.data.validFrom, validUntil: e.data.validUntil },
      };
    case 'LicenseAppliedToMspPortal':
      return {
        ...s,
        status: 'bound',
        binding: { deviceId: null, channel: null, mspAccountId: e.data.accountId, validFrom: e.data.validFrom, validUntil: e.data.validUntil },
      };
    case 'LicenseDeployed':
      return { ...s, status: 'deployed', deploymentId: e.data.deploymentId };
    case 'LicenseSuperseded':
      return { ...s, status: 'superseded', successor: { licenseId: e.data.successorId, accountId: e.data.toAccountId, reason: e.data.reason } };
    case 'LicenseRevoked':
      return { ...s, status: 'revoked' };
    case 'LicenseUninstalled':
      return { ...s, status: 'uninstalled' };
  }
}

export function evolveDevice(s: DeviceState, e: DeviceEvent): DeviceState {
  switch (e.type) {
    case 'DeviceRegistered':
      return { ...s, exists: true, deviceId: e.data.deviceId, ownerId: e.data.ownerId, serial: e.data.serial, model: e.data.model, channels: e.data.channels, registeredAt: e.data.registeredAt };
    case 'DeviceLicenseBound': {
      const { channel, category, licenseId, validFrom, validUntil } = e.data;
      const bindings = { ...s.bindings, [licenseId]: { category, channel, validFrom, validUntil } };
      if (channel !== null) return { ...s, bindings, channelCoverage: { ...s.channelCoverage, [channel]: { licenseId, validUntil } } };
      // Once a perpetual license covers a category, a term license does not shorten it.
      const until = s.validUntil[category] === PERPETUAL ? PERPETUAL : (validUntil ?? PERPETUAL);
      return { ...s, bindings, validUntil: { ...s.validUntil, [category]: until } };
    }
    case 'DeviceLicenseRevoked': {
      const { channel, category, licenseId, validUntil } = e.data;
      const { [licenseId]: _revoked, ...bindings } = s.bindings;
      if (channel !== null) {
        const { [channel]: _freed, ...channelCoverage } = s.channelCoverage;
        return { ...s, bindings, channelCoverage: s.channelCoverage[channel]?.licenseId === licenseId ? channelCoverage : s.channelCoverage };
      }
      const { [category]: _old, ...others } = s.validUntil;
      return { ...s, bindings, validUntil: validUntil === null ? others : { ...others, [category]: validUntil } };
    }
  }
}

export function evolveSerial(_s: SerialState, e: SerialEvent): SerialState {
  return { exists: true, deviceId: e.data.deviceId };
}

export function evolveDeployment(s: DeploymentState, e: DeploymentEvent): DeploymentState {
  switch (e.type) {
    case 'DeploymentCreated':
      return { ...s, exists: true, deploymentId: e.data.deploymentId, creatorId: e.data.creatorId, ownerId: e.data.ownerId, serverId: e.data.serverId, licenseIds: e.data.licenseIds, maintenanceUntil: e.data.maintenanceUntil };
    case 'DeploymentInstalled':
      return { ...s, status: 'installed', fileNo: e.data.fileNo, fileLicenseIds: e.data.licenseIds, maintenanceUntil: e.data.maintenanceUntil, fileIssuedAt: e.data.installedAt };
    case 'MaintenanceRenewed':
      return { ...s, fileNo: e.data.fileNo, fileLicenseIds: e.data.licenseIds, maintenanceUntil: e.data.maintenanceUntil, fileIssuedAt: e.data.renewedAt };
    case 'DeploymentUninstalled':
      return { ...s, status: 'uninstalled' };
  }
}

export function evolveApiKey(s: ApiKeyState, e: ApiKeyEvent): ApiKeyState {
  switch (e.type) {
    case 'ApiKeyCreated': {
      const { keyId, accountId, role, deviceId, serverId, expiresAt } = e.data;
      return { ...s, exists: true, keyId, accountId, role, deviceId, serverId, expiresAt };
    }
    case 'ApiKeyRevoked':
      return { ...s, revokedAt: e.data.revokedAt };
  }
}

/** Folds one event into the state of the stream it belongs to. */
export function evolve(kind: StreamKind, state: AnyState, event: LedgerEvent): AnyState {
  switch (kind) {
    case 'account': return evolveAccount(state as AccountState, event as AccountEvent);
    case 'model': return evolveModel(state as LicenseModelState, event as LicenseModelEvent);
    case 'po': return evolvePurchaseOrder(state as PurchaseOrderState, event as PurchaseOrderEvent);
    case 'key': return evolveKey(state as KeyState, event as KeyEvent);
    case 'license': return evolveLicense(state as LicenseState, event as LicenseEvent);
    case 'device': return evolveDevice(state as DeviceState, event as DeviceEvent);
    case 'serial': return evolveSerial(state as SerialState, event as SerialEvent);
    case 'deployment': return evolveDeployment(state as DeploymentState, event as DeploymentEvent);
    case 'apikey': return evolveApiKey(state as ApiKeyState, event as ApiKeyEvent);
  }
}

export function fold(kind: StreamKind, events: readonly LedgerEvent[]): AnyState {
  return events.reduce((state, event) => evolve(kind, state, event), initialState(kind) as AnyState);
}
