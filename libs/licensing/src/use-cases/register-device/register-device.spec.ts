import { given } from '../../testing';
import { customer, deviceRegistered, partner, vendorOpened } from '../../test-builders';
import { type RegisterDevice, registerDevice } from './register-device.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

function world() {
  const vendorId = id();
  const partnerId = id();
  const customerId = id();
  return { customerId, events: [...vendorOpened(vendorId), ...partner(partnerId, vendorId), ...customer(customerId, partnerId)] };
}

const register = (o: Partial<RegisterDevice> & { ownerId: string }): RegisterDevice => ({ now: NOW, deviceId: id(), serial: 'q2xx-abcd-1234', model: 'AP-1', channels: 0, ...o });

describe('RegisterDevice', () => {
  it('reserves the serial (normalized) and registers the device', () => {
    const { customerId, events } = world();
    const deviceId = id();
    given(events)
      .when(registerDevice, register({ deviceId, ownerId: customerId, serial: ' q2xx-abcd-1234 ', model: 'CAM-8', channels: 8 }))
      .then([
        ['serial-Q2XX-ABCD-1234', { type: 'DeviceSerialReserved', data: { serial: 'Q2XX-ABCD-1234', deviceId, reservedAt: NOW } }],
        [`device-${deviceId}`, { type: 'DeviceRegistered', data: { deviceId, ownerId: customerId, serial: 'Q2XX-ABCD-1234', model: 'CAM-8', channels: 8, registeredAt: NOW } }],
      ]);
  });

  it('refuses a serial used twice, whatever its case or spaces (DEVICE_SERIAL_TAKEN)', () => {
    const { customerId, events } = world();
    const serial = `SN-${id()}`;
    const existing = [...events, ...deviceRegistered({ deviceId: id(), ownerId: customerId, serial })];
    for (const typed of [serial, serial.toLowerCase(), `  ${serial.toLowerCase()}\t`, serial.replace('-', ' - ')]) {
      const refusal = given(existing).when(registerDevice, register({ ownerId: customerId, serial: typed })).thenRefused('DEVICE_SERIAL_TAKEN', { serial: serial.toUpperCase() });
      expect(refusal.kind).toBe('conflict');
      expect(refusal.pointer).toBe('/serial');
    }
  });

  it('refuses a serial already registered by another account', () => {
    const { customerId, events } = world();
    const other = world();
    const serial = `SN-${id()}`;
    given([...events, ...other.events, ...deviceRegistered({ deviceId: id(), ownerId: other.customerId, serial })])
      .when(registerDevice, register({ ownerId: customerId, serial }))
      .thenRefused('DEVICE_SERIAL_TAKEN');
  });

  it('records nothing when the same registration is retried with the same device id', () => {
    const { customerId, events } = world();
    const deviceId = id();
    const serial = `SN-${id()}`;
    given([...events, ...deviceRegistered({ deviceId, ownerId: customerId, serial })])
      .when(registerDevice, register({ deviceId, ownerId: customerId, serial: serial.toLowerCase() }))
      .thenNothing();
  });

  it('refuses a serial that is not printable ASCII: it names a stream of its own', () => {
    const { customerId, events } = world();
    given(events).when(registerDevice, register({ ownerId: customerId, serial: 'SÉRIE-1' })).thenRefused('INVALID_COMMAND', { serial: 'SÉRIE-1' });
  });

  it('refuses a device id already in use for another serial', () => {
    const { customerId, events } = world();
    const deviceId = id();
    given([...events, ...deviceRegistered({ deviceId, ownerId: customerId, serial: `SN-${id()}` })])
      .when(registerDevice, register({ deviceId, ownerId: customerId, serial: `SN-${id()}` }))
      .thenRefused('INVALID_COMMAND', { deviceId });
  });

  it('refuses an unknown owner (ACCOUNT_NOT_FOUND)', () => {
    const { events } = world();
    expect(given(events).when(registerDevice, register({ ownerId: id() })).thenRefused('ACCOUNT_NOT_FOUND').pointer).toBe('/ownerId');
  });

  it('refuses a blank serial and a negative channel count (INVALID_COMMAND)', () => {
    const { customerId, events } = world();
    const blank = given(events).when(registerDevice, register({ ownerId: customerId, serial: '   ' })).thenRefused('INVALID_COMMAND');
    expect(blank.kind).toBe('invalid');
    expect(blank.pointer).toBe('/serial');
    expect(given(events).when(registerDevice, register({ ownerId: customerId, channels: -1 })).thenRefused('INVALID_COMMAND').pointer).toBe('/channels');
  });
});
