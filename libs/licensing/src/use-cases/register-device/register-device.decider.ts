import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { existingAccount } from '../../rules';
import { normalizeSerial, streamId } from '../../streams';

export interface RegisterDevice {
  now: string;
  deviceId: string;
  ownerId: string;
  serial: string;
  model: string;
  /** How many channels the device has (channel licenses cover channels 1..channels). */
  channels: number;
}

export const registerDevice: Decider<RegisterDevice, { deviceId: string; serial: string }> = {
  name: 'RegisterDevice',
  decide(c, facts) {
    if (!Number.isSafeInteger(c.channels) || c.channels < 0) refuse('INVALID_COMMAND', 'channels must be a whole number, 0 or more', {}, '/channels');
    const serial = normalizeSerial(c.serial);
    if (serial === '') refuse('INVALID_COMMAND', 'a serial number is required', {}, '/serial');
    // Serials name a stream of their own (uniqueness): printable ASCII, as on the devices' labels.
    if (!/^[\x21-\x7e]{1,100}$/.test(serial)) refuse('INVALID_COMMAND', 'a serial number is 1 to 100 printable ASCII characters', { serial }, '/serial');
    facts.require(streamId.account(c.ownerId), streamId.serial(serial), streamId.device(c.deviceId));
    existingAccount(facts, c.ownerId, '/ownerId');
    const taken = facts.serial(serial);
    if (taken.exists) {
      // The same registration retried with the same device id is an outcome that already holds.
      if (taken.deviceId === c.deviceId) return { events: [], result: { deviceId: c.deviceId, serial } };
      refuse('DEVICE_SERIAL_TAKEN', `a device with serial ${serial} is already registered`, { serial }, '/serial');
    }
    if (facts.device(c.deviceId).exists) refuse('INVALID_COMMAND', `device id ${c.deviceId} is already in use`, { deviceId: c.deviceId });
    return {
      events: [
        [streamId.serial(serial), { type: 'DeviceSerialReserved', data: { serial, deviceId: c.deviceId, reservedAt: c.now } }],
        [streamId.device(c.deviceId), { type: 'DeviceRegistered', data: { deviceId: c.deviceId, ownerId: c.ownerId, serial, model: c.model, channels: c.channels, registeredAt: c.now } }],
      ],
      result: { deviceId: c.deviceId, serial },
    };
  },
};
