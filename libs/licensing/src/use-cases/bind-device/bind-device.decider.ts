import type { Decider, Emitted, Facts } from '../../decision';
import { refuse } from '../../errors';
import { deriveId } from '../../ids';
import { bindEvents, channelCovered, existingAccount, existingLicense, fitsDevice, handOff, pickLicenses, requireAvailable, requireNotExpired, requirePositive } from '../../rules';
import { type LicenseState, evolveDevice, streamId } from '../../streams';

export interface BindDevice {
  now: string;
  deviceId: string;
  /** One license by its ID, or a quantity of one model from an account (picked: earliest expiry, then oldest). */
  source: { licenseId: string } | { fromAccountId: string; modelCode: string; quantity: number };
  /** For channel licenses: one channel per license, in order. */
  channels: number[];
  /** Seed of the successors' License IDs when a partner's licenses are handed to its customer. */
  successorSeed: string;
}

export interface BindDeviceResult {
  deviceId: string;
  bindings: { licenseId: string; channel: number | null; validFrom: string; validUntil: string | null; handedOnFrom: string | null }[];
  /** The device's validity per category after the binding ('perpetual' where a perpetual license covers it). */
  validUntil: Record<string, string>;
}

/**
 * Binds licenses of the device's owner, or of its partner: a partner binding
 * its own licenses to its customer's device hands them to the customer
 * (superseded, successors issued) and binds the successors, in one decision.
 */
export const bindDevice: Decider<BindDevice, BindDeviceResult> = {
  name: 'BindDevice',
  decide(c, facts) {
    const byId = 'licenseId' in c.source;
    facts.require(streamId.device(c.deviceId), ...('licenseId' in c.source ? [streamId.license(c.source.licenseId)] : [streamId.account(c.source.fromAccountId)]));
    let device = facts.device(c.deviceId);
    if (!device.exists) refuse('DEVICE_NOT_FOUND', `device ${c.deviceId} does not exist`, { deviceId: c.deviceId });
    const licenses = chooseLicenses(c, facts);
    // The device owner's account only matters for a hand-off (is the license's owner its partner?).
    if (licenses.some((l) => l.ownerId !== device.ownerId)) facts.require(streamId.account(device.ownerId));

    const channelLicenses = licenses[0]?.model.bindsTo === 'channel';
    if (channelLicenses ? c.channels.length !== licenses.length : c.channels.length !== 0)
      refuse('CHANNELS_DO_NOT_MATCH_LICENSES', channelLicenses ? `${licenses.length} channel licenses need ${licenses.length} channels, got ${c.channels.length}` : 'channels are only given for channel licenses', {}, '/channels');
    const seen = new Set<number>();
    c.channels.forEach((channel, i) => {
      if (!Number.isSafeInteger(channel) || channel < 1 || channel > device.channels)
        refuse('CHANNEL_OUT_OF_RANGE', `device ${c.deviceId} has channels 1 to ${device.channels}, not ${channel}`, { channel, channels: device.channels }, `/channels/${i}`);
      if (seen.has(channel) || channelCovered(device, channel, c.now))
        refuse('CHANNEL_ALREADY_COVERED', `channel ${channel} of device ${c.deviceId} is already covered by a license`, { channel }, `/channels/${i}`);
      seen.add(channel);
    });

    const events: Emitted[] = [];
    const bindings: BindDeviceResult['bindings'] = [];
    licenses.forEach((license, i) => {
      const pointer = byId ? '/licenseId' : '/quantity';
      if (license.status === 'bound') refuse('LICENSE_ALREADY_BOUND', `license ${license.licenseId} is already bound`, { licenseId: license.licenseId }, pointer);
      requireAvailable(license, pointer);
      requireNotExpired(license, c.now, pointer);
      if (license.model.bindsTo !== 'device' && license.model.bindsTo !== 'channel')
        refuse('LICENSE_NOT_DEVICE_BINDABLE', `license ${license.licenseId} binds to ${license.model.bindsTo}, not to a device`, { licenseId: license.licenseId, bindsTo: license.model.bindsTo }, pointer);
      if (!fitsDevice(license, device))
        refuse('LICENSE_MODEL_DOES_NOT_FIT_DEVICE', `license model ${license.model.code} does not fit device model ${device.model}`, { modelCode: license.model.code, deviceModel: device.model, fits: license.model.deviceModels }, pointer);
      let bound = license;
      let handedOnFrom: string | null = null;
      if (license.ownerId !== device.ownerId) {
        const deviceOwner = existingAccount(facts, device.ownerId);
        if (!(deviceOwner.kind === 'customer' && deviceOwner.parentId === license.ownerId))
          refuse('LICENSE_NOT_OWNED', `license ${license.licenseId} belongs neither to the device's owner ${device.ownerId} nor to its partner`, { licenseId: license.licenseId, ownerId: license.ownerId, deviceOwnerId: device.ownerId }, pointer);
        const step = handOff(license, device.ownerId, 'binding-hand-off', deriveId(c.successorSeed, i), c.now);
        events.push(...step.events);
        bound = step.successor;
        handedOnFrom = license.licenseId;
      }
      const channel = channelLicenses ? c.channels[i]! : null;
      const step = bindEvents(bound, device, channel, c.now, false);
      events.push(...step.events);
      // Several licenses of one category stack: the next starts where this one ends.
      device = evolveDevice(device, step.events[1]![1] as Parameters<typeof evolveDevice>[1]);
      bindings.push({ licenseId: bound.licenseId, channel, validFrom: step.validFrom, validUntil: step.validUntil, handedOnFrom });
    });
    return { events, result: { deviceId: c.deviceId, bindings, validUntil: device.validUntil } };
  },
};

function chooseLicenses(c: BindDevice, facts: Facts): LicenseState[] {
  if ('licenseId' in c.source) return [existingLicense(facts, c.source.licenseId, '/licenseId')];
  const { fromAccountId, modelCode, quantity } = c.source;
  requirePositive(quantity, '/quantity');
  existingAccount(facts, fromAccountId, '/fromAccountId');
  return pickLicenses(facts, fromAccountId, modelCode, quantity, c.now, '/quantity');
}
