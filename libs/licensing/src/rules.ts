import { type Emitted, type Facts, StalePick } from './decision';
import { refuse } from './errors';
import type { HandOffReason } from './events';
import { deriveId } from './ids';
import { type AccountState, type DeviceState, type LicenseState, PERPETUAL, streamId } from './streams';
import { addDays, isBefore, later, termEnd } from './time';

/** Rules and steps shared by several use cases. */

export function existingAccount(facts: Facts, id: string, pointer?: string): AccountState {
  const account = facts.account(id);
  if (!account.exists) refuse('ACCOUNT_NOT_FOUND', `account ${id} does not exist`, { accountId: id }, pointer);
  return account;
}

export function existingLicense(facts: Facts, id: string, pointer?: string): LicenseState {
  const license = facts.license(id);
  if (!license.exists) refuse('LICENSE_NOT_FOUND', `license ${id} does not exist`, { licenseId: id }, pointer);
  return license;
}

/** A customer whose parent is `sellerId`: the only accounts a partner sells, allocates or deploys to. */
export function isEndUserOf(account: AccountState, sellerId: string): boolean {
  return account.kind === 'customer' && account.parentId === sellerId;
}

export function requireEndUser(buyer: AccountState, sellerId: string, pointer: string): void {
  if (!isEndUserOf(buyer, sellerId))
    refuse('NOT_AN_END_USER', `account ${buyer.accountId} is not an end user (customer) of ${sellerId}`, { accountId: buyer.accountId, sellerId }, pointer);
}

/**
 * Superseded, revoked and uninstalled licenses are kept for tracking only;
 * bound or deployed ones cannot change hands.
 */
export function requireAvailable(license: LicenseState, pointer?: string): void {
  const id = license.licenseId;
  switch (license.status) {
    case 'available':
      return;
    case 'bound':
      return refuse('LICENSE_BOUND', `license ${id} is bound${license.binding?.deviceId ? ` to device ${license.binding.deviceId}` : ''}`, { licenseId: id }, pointer);
    case 'deployed':
      return refuse('LICENSE_DEPLOYED', `license ${id} is deployed in deployment ${license.deploymentId}`, { licenseId: id, deploymentId: license.deploymentId }, pointer);
    case 'superseded':
      return refuse('LICENSE_SUPERSEDED', `license ${id} was handed on and superseded by ${license.successor?.licenseId}; it is kept for tracking only`, { licenseId: id, successorId: license.successor?.licenseId ?? null }, pointer);
    case 'revoked':
      return refuse('LICENSE_REVOKED', `license ${id} is revoked`, { licenseId: id }, pointer);
    case 'uninstalled':
      return refuse('LICENSE_UNINSTALLED', `license ${id} was uninstalled permanently`, { licenseId: id }, pointer);
  }
}

/**
 * `quantity` available licenses of one model, picked from the index and read
 * from their streams. A license the index offered but its stream shows taken
 * means another command won a race: StalePick makes the handler start over.
 */
export function pickLicenses(facts: Facts, ownerId: string, modelCode: string, quantity: number, now: string, pointer: string, exclude: ReadonlySet<string> = new Set()): LicenseState[] {
  const pick = facts.available(ownerId, modelCode, quantity + exclude.size, now);
  const ids = pick.licenseIds.filter((id) => !exclude.has(id)).slice(0, quantity);
  const available = pick.available - exclude.size;
  if (ids.length < quantity)
    refuse('INSUFFICIENT_LICENSES', `${quantity} licenses of ${modelCode} asked, ${Math.max(available, 0)} available`, { modelCode, requested: quantity, available: Math.max(available, 0) }, pointer);
  facts.require(...ids.map(streamId.license));
  return ids.map((id) => {
    const license = facts.license(id);
    if (!license.exists || license.status !== 'available' || license.ownerId !== ownerId || license.model.code !== modelCode) throw new StalePick(id);
    return license;
  });
}

export type HandOffLine = { modelCode: string; quantity: number } | { licenseId: string };

/**
 * The licenses named by order lines: by License ID (owned by `ownerId`,
 * available), or by model and quantity (picked). Lines of the same model add
 * up; a License ID named twice is refused.
 */
export function licensesForLines(facts: Facts, ownerId: string, lines: readonly HandOffLine[], now: string): LicenseState[] {
  if (lines.length === 0) refuse('INVALID_COMMAND', 'at least one line is required', {}, '/lines');
  const named = new Set<string>();
  const chosen: LicenseState[] = [];
  facts.require(...lines.flatMap((l) => ('licenseId' in l ? [streamId.license(l.licenseId)] : [])));
  lines.forEach((line, i) => {
    if (!('licenseId' in line)) return;
    if (named.has(line.licenseId)) refuse('INVALID_COMMAND', `license ${line.licenseId} is named twice`, { licenseId: line.licenseId }, `/lines/${i}/licenseId`);
    named.add(line.licenseId);
    const license = existingLicense(facts, line.licenseId, `/lines/${i}/licenseId`);
    if (license.ownerId !== ownerId) refuse('LICENSE_NOT_OWNED', `license ${license.licenseId} does not belong to account ${ownerId}`, { licenseId: license.licenseId, accountId: ownerId }, `/lines/${i}/licenseId`);
    requireAvailable(license, `/lines/${i}/licenseId`);
    chosen.push(license);
  });
  const perModel = new Map<string, { quantity: number; index: number }>();
  lines.forEach((line, i) => {
    if ('licenseId' in line) return;
    requirePositive(line.quantity, `/lines/${i}/quantity`);
    const sum = perModel.get(line.modelCode);
    perModel.set(line.modelCode, { quantity: (sum?.quantity ?? 0) + line.quantity, index: sum?.index ?? i });
  });
  const namedLicenses = [...chosen];
  for (const [modelCode, { quantity, index }] of perModel) {
    // Only the named licenses of this very model are among its available ones (and must not be picked again).
    const namedOfModel = new Set(namedLicenses.filter((l) => l.model.code === modelCode).map((l) => l.licenseId));
    chosen.push(...pickLicenses(facts, ownerId, modelCode, quantity, now, `/lines/${index}/quantity`, namedOfModel));
  }
  return chosen;
}

export function requirePositive(quantity: number, pointer: string): void {
  if (!Number.isSafeInteger(quantity) || quantity < 1)
    refuse('QUANTITY_NOT_POSITIVE', `quantity must be a positive whole number, got ${quantity}`, { quantity }, pointer);
}

/**
 * Hands a license to another account: the predecessor is superseded (kept,
 * read-only) and a successor with a new License ID is issued to the receiver,
 * lineage linked both ways.
 */
export function handOff(license: LicenseState, toAccountId: string, reason: HandOffReason, successorId: string, now: string): { events: Emitted[]; successor: LicenseState } {
  const events: Emitted[] = [
    [streamId.license(license.licenseId), { type: 'LicenseSuperseded', data: { licenseId: license.licenseId, successorId, toAccountId, reason, supersededAt: now } }],
    [
      streamId.license(successorId),
      {
        type: 'LicenseIssued',
        data: {
          licenseId: successorId,
          ownerId: toAccountId,
          model: license.model,
          keyCode: license.keyCode,
          poNumber: license.poNumber,
          forcedActivationDate: license.forcedActivationDate,
          predecessorId: license.licenseId,
          reason,
          issuedAt: now,
        },
      },
    ],
  ];
  const successor: LicenseState = {
    ...license,
    licenseId: successorId,
    ownerId: toAccountId,
    predecessorId: license.licenseId,
    issuedAt: now,
    status: 'available',
    successor: null,
  };
  return { events, successor };
}

/** Hands every license to `toAccountId`; successor ids derive from the command's seed. */
export function handOffAll(licenses: readonly LicenseState[], toAccountId: string, reason: HandOffReason, seed: string, now: string) {
  const events: Emitted[] = [];
  const successors: LicenseState[] = [];
  licenses.forEach((license, i) => {
    const step = handOff(license, toAccountId, reason, deriveId(seed, i), now);
    events.push(...step.events);
    successors.push(step.successor);
  });
  return { events, successors };
}

export function fitsDevice(license: LicenseState, device: DeviceState): boolean {
  return license.model.deviceModels.length === 0 || license.model.deviceModels.includes(device.model);
}

/** A term license whose forced activation date plus its term has passed: it has nothing left to give. */
export function isExpired(license: LicenseState, now: string): boolean {
  const { termDays } = license.model;
  return termDays !== null && license.forcedActivationDate !== null && !isBefore(now, addDays(license.forcedActivationDate, termDays));
}

export function requireNotExpired(license: LicenseState, now: string, pointer?: string): void {
  if (isExpired(license, now))
    refuse('LICENSE_EXPIRED', `license ${license.licenseId}'s term ran out unused: it started at its key's forced activation date ${license.forcedActivationDate}`, { licenseId: license.licenseId, forcedActivationDate: license.forcedActivationDate }, pointer);
}

/** Is a channel covered by a license still running at `now`? */
export function channelCovered(device: DeviceState, channel: number, now: string): boolean {
  const coverage = device.channelCoverage[channel];
  return coverage !== undefined && (coverage.validUntil === null || isBefore(now, coverage.validUntil));
}

/**
 * Binds one license to a device (or one of its channels). A device-bound term
 * license extends the device's validity for its category from the later of
 * now and the current expiry; a channel license covers its channel from now.
 */
export function bindEvents(license: LicenseState, device: DeviceState, channel: number | null, now: string, autoAssociated: boolean): { events: Emitted[]; validFrom: string; validUntil: string | null } {
  const { category, termDays } = license.model;
  const current = channel === null ? (device.validUntil[category] ?? null) : null;
  const validFrom = current === PERPETUAL ? now : later(now, current);
  const validUntil = termDays === null ? null : termEnd(validFrom, termDays, license.forcedActivationDate, now);
  const events: Emitted[] = [
    [streamId.license(license.licenseId), { type: 'LicenseBound', data: { licenseId: license.licenseId, deviceId: device.deviceId, channel, validFrom, validUntil, autoAssociated, boundAt: now } }],
    [streamId.device(device.deviceId), { type: 'DeviceLicenseBound', data: { deviceId: device.deviceId, licenseId: license.licenseId, category, channel, validFrom, validUntil, boundAt: now } }],
  ];
  return { events, validFrom, validUntil };
}
