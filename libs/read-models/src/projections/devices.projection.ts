import type { RecordedEvent } from '@ledger/event-store';
import { type DeviceState, PERPETUAL, evolveDevice, initialState, normalizeSerial } from '@ledger/licensing';
import { type ReadModel, type Rows, type TableSpec, instant } from '../read-model';
import { ledgerEvent } from './event';

export interface DeviceRow {
  device_id: string;
  owner_id: string;
  serial: string;
  /** As the serial's stream id normalizes it: what search compares. */
  serial_norm: string;
  model: string;
  channels: number;
  registered_at: string;
  /** Per category: the end of its validity, or 'perpetual'. */
  valid_until: Record<string, string>;
  channel_coverage: DeviceState['channelCoverage'];
  /** The licenses bound to it (not revoked), with their category, channel and term. */
  bindings: DeviceState['bindings'];
  /** The earliest end among its categories and channels (perpetual ones never end); null when nothing expires. */
  earliest_expiry: string | null;
  last_position: number;
}

export const DEVICES_TABLE: TableSpec = {
  name: 'rm_devices',
  key: 'device_id',
  columns: {
    device_id: 'text', owner_id: 'text', serial: 'text', serial_norm: 'text', model: 'text', channels: 'integer', registered_at: 'instant',
    valid_until: 'jsonb', channel_coverage: 'jsonb', bindings: 'jsonb', earliest_expiry: 'instant', last_position: 'bigint',
  },
  indexes: [
    { columns: ['owner_id', 'earliest_expiry', 'device_id'] },
    { columns: ['serial_norm'] },
    { columns: ['earliest_expiry'], where: 'earliest_expiry IS NOT NULL' },
  ],
};

/** The device view is the domain's own device state (one fold, one truth), plus its earliest expiry. */
export function deviceRow(s: DeviceState, position: number): DeviceRow {
  const ends = [
    ...Object.values(s.validUntil).filter((v) => v !== PERPETUAL),
    ...Object.values(s.channelCoverage).flatMap((c) => (c.validUntil === null ? [] : [c.validUntil])),
  ].map((v) => instant(v));
  return {
    device_id: s.deviceId, owner_id: s.ownerId, serial: s.serial, serial_norm: normalizeSerial(s.serial), model: s.model, channels: s.channels,
    registered_at: instant(s.registeredAt),
    valid_until: Object.fromEntries(Object.entries(s.validUntil).map(([k, v]) => [k, v === PERPETUAL ? v : instant(v)])),
    channel_coverage: s.channelCoverage, bindings: s.bindings,
    earliest_expiry: ends.length ? ends.reduce((a, b) => (a < b ? a : b)) : null,
    last_position: position,
  };
}

function stateOf(row: DeviceRow): DeviceState {
  return {
    exists: true, deviceId: row.device_id, ownerId: row.owner_id, serial: row.serial, model: row.model, channels: row.channels,
    registeredAt: row.registered_at, validUntil: row.valid_until, channelCoverage: row.channel_coverage, bindings: row.bindings,
  };
}

export const devicesProjection: ReadModel = {
  name: 'devices',
  version: 1,
  tables: [DEVICES_TABLE],
  touches: (e: RecordedEvent) => (e.streamId.startsWith('device-') ? [[DEVICES_TABLE.name, String(e.data.deviceId)]] : []),
  apply(rows: Rows, e: RecordedEvent) {
    const event = ledgerEvent(e);
    if (event.type !== 'DeviceRegistered' && event.type !== 'DeviceLicenseBound' && event.type !== 'DeviceLicenseRevoked') return;
    const row = rows.get<DeviceRow & Record<string, unknown>>(DEVICES_TABLE.name, event.data.deviceId);
    if (!row && event.type !== 'DeviceRegistered') return;
    const state = evolveDevice(row ? stateOf(row) : initialState('device'), event);
    rows.put(DEVICES_TABLE.name, { ...deviceRow(state, e.globalPosition) });
  },
};
