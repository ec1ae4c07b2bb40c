import type { Decider, Emitted, Facts } from '../../decision';
import { refuse } from '../../errors';
import type { Binding } from '../../events';
import { deriveId, parseKeyCode } from '../../ids';
import { bindEvents, existingAccount, fitsDevice, isExpired } from '../../rules';
import { type DeviceState, type LicenseState, PERPETUAL, streamId } from '../../streams';
import { isBefore } from '../../time';
import { extendPortal } from '../extend-msp-portal/extend-msp-portal.decider';

export interface ClaimKey {
  now: string;
  /** As typed; normalized by the decider. */
  keyCode: string;
  accountId: string;
  /** Bind the new licenses to the claimant's eligible devices. */
  autoAssociate: boolean;
  /** Seed of the new License IDs (see deriveId). */
  licenseIdSeed: string;
}

export interface ClaimKeyResult {
  keyCode: string;
  accountId: string;
  modelCode: string;
  licenseIds: string[];
  bindings: (Binding & { validUntil: string | null })[];
  /** For msp-portal licenses: the portal's validity after the claim. */
  mspPortalValidUntil: string | null;
}

/** A key is claimed into one account, once, and unzips into as many licenses as its quantity. */
export const claimKey: Decider<ClaimKey, ClaimKeyResult> = {
  name: 'ClaimKey',
  decide(c, facts) {
    const keyCode = parseKeyCode(c.keyCode);
    if (keyCode === null) refuse('KEY_CODE_MALFORMED', `${JSON.stringify(c.keyCode)} is not a key code (20 symbols with a check symbol); check for a typing mistake`, {}, '/path/keyCode');
    facts.require(streamId.key(keyCode), streamId.account(c.accountId));
    const key = facts.key(keyCode);
    if (!key.exists) refuse('KEY_NOT_FOUND', `key ${keyCode} does not exist`, { keyCode });
    if (key.claimedBy !== null) refuse('KEY_ALREADY_CLAIMED', `key ${keyCode} was already claimed; a claim cannot be repeated or undone`, { keyCode });
    if (key.validUntil !== null && isBefore(key.validUntil, c.now)) refuse('KEY_EXPIRED', `key ${keyCode} could be claimed until ${key.validUntil}`, { keyCode, validUntil: key.validUntil });
    const account = existingAccount(facts, c.accountId, '/accountId');
    const model = facts.model(key.modelCode);
    if (!model.exists) refuse('LICENSE_MODEL_NOT_FOUND', `license model ${key.modelCode} is not defined`, { modelCode: key.modelCode });
    const { exists: _exists, name: _name, ...terms } = model;

    const licenseIds = Array.from({ length: key.quantity }, (_, i) => deriveId(c.licenseIdSeed, i));
    const licenses: LicenseState[] = [];
    const events: Emitted[] = [];
    for (const licenseId of licenseIds) {
      events.push([
        streamId.license(licenseId),
        {
          type: 'LicenseIssued',
          data: { licenseId, ownerId: c.accountId, model: terms, keyCode, poNumber: key.poNumber, forcedActivationDate: key.forcedActivationDate, predecessorId: null, reason: 'claim', issuedAt: c.now },
        },
      ]);
      licenses.push({
        exists: true, licenseId, ownerId: c.accountId, model: terms, keyCode, poNumber: key.poNumber, forcedActivationDate: key.forcedActivationDate,
        predecessorId: null, issuedAt: c.now, status: 'available', binding: null, deploymentId: null, successor: null,
      });
    }

    let bindings: ClaimKeyResult['bindings'] = [];
    let mspPortalValidUntil: string | null = null;
    // Licenses whose forced activation date plus term has passed are issued, but have nothing left to apply or bind.
    const usable = licenses.length > 0 && !isExpired(licenses[0]!, c.now);
    if (usable && terms.bindsTo === 'msp-portal') {
      const extended = extendPortal(account, licenses, c.now);
      events.push(...extended.events);
      mspPortalValidUntil = extended.validUntil;
    } else if (usable && c.autoAssociate && terms.bindsTo === 'device') {
      const associated = autoAssociate(facts, c.accountId, licenses, c.now);
      events.push(...associated.events);
      bindings = associated.bindings;
    }
    events.unshift([streamId.key(keyCode), { type: 'KeyClaimed', data: { keyCode, accountId: c.accountId, licenseIds, autoAssociate: c.autoAssociate, bindings: bindings.map(({ validUntil: _v, ...b }) => b), claimedAt: c.now } }]);
    return { events, result: { keyCode, accountId: c.accountId, modelCode: key.modelCode, licenseIds, bindings, mspPortalValidUntil } };
  },
};

/**
 * Binds new licenses to the claimant's eligible devices: the license fits
 * the device model and the device's validity for the category is not
 * perpetual. Devices with no license of the category come first, then the
 * one expiring soonest; each device gets at most one license of the claim.
 * Leftover licenses stay available.
 */
function autoAssociate(facts: Facts, ownerId: string, licenses: readonly LicenseState[], now: string) {
  const first = licenses[0];
  const events: Emitted[] = [];
  const bindings: ClaimKeyResult['bindings'] = [];
  if (!first) return { events, bindings };
  const deviceIds = facts.devicesOf(ownerId);
  facts.require(...deviceIds.map(streamId.device));
  const category = first.model.category;
  const expiry = (d: DeviceState) => (d.validUntil[category] === undefined ? -Infinity : Date.parse(d.validUntil[category]!));
  const eligible = deviceIds
    .map((id) => facts.device(id))
    .filter((d) => d.exists && d.ownerId === ownerId && fitsDevice(first, d) && d.validUntil[category] !== PERPETUAL)
    .sort((a, b) => expiry(a) - expiry(b) || Date.parse(a.registeredAt) - Date.parse(b.registeredAt) || (a.deviceId < b.deviceId ? -1 : 1));
  eligible.slice(0, licenses.length).forEach((device, i) => {
    const license = licenses[i]!;
    const bound = bindEvents(license, device, null, now, true);
    events.push(...bound.events);
    bindings.push({ licenseId: license.licenseId, deviceId: device.deviceId, channel: null, validUntil: bound.validUntil });
  });
  return { events, bindings };
}
