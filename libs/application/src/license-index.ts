import type { ComponentMigration, EventStore, SqlExecutor } from '@ledger/event-store';
import { type AnyState, type DataRef, type DeviceState, type KnownFacts, type LicenseState, deviceIndexRow, licenseIndexRow, streamKind } from '@ledger/licensing';

/**
 * The write side's own index: which licenses an account holds (to pick "3 of
 * model X" without reading every license) and which devices it has (for
 * auto-associate). Written in the same transaction as the events it is
 * derived from, so it never lags behind them; the licenses' expected
 * versions, not the index, decide a race.
 */
export const LICENSE_INDEX_COMPONENT = 'licensing-index';

export const LICENSE_INDEX_MIGRATIONS: readonly ComponentMigration[] = [
  {
    version: 1,
    name: 'licenses and devices by owner',
    sql: `
      CREATE TABLE licensing_licenses (
        license_id  text COLLATE "C" PRIMARY KEY,
        owner_id    text NOT NULL,
        model_code  text NOT NULL,
        status      text NOT NULL,
        expires_at  timestamptz,
        issued_at   timestamptz NOT NULL
      );
      -- The pick order of licenseOrder() in libs/licensing: earliest expiry, oldest, License ID.
      CREATE INDEX licensing_licenses_pick ON licensing_licenses (owner_id, model_code, expires_at NULLS LAST, issued_at, license_id)
        WHERE status = 'available';
      CREATE TABLE licensing_devices (
        device_id     text COLLATE "C" PRIMARY KEY,
        owner_id      text NOT NULL,
        model         text NOT NULL,
        registered_at timestamptz NOT NULL
      );
      CREATE INDEX licensing_devices_owner ON licensing_devices (owner_id, registered_at, device_id);
    `,
  },
];

export function migrateLicenseIndex(store: EventStore) {
  return store.migrateComponent(LICENSE_INDEX_COMPONENT, LICENSE_INDEX_MIGRATIONS);
}

/** Answers a decider's picks from the index. */
export async function loadPick(sql: SqlExecutor, facts: KnownFacts, ref: Exclude<DataRef, { kind: 'stream' }>): Promise<void> {
  if (ref.kind === 'available') {
    // Concurrent pickers of one owner and model skip each other's picks (the row
    // locks last until commit, when the index marks them taken) instead of all
    // taking the same first licenses and all but one starting over.
    const locked = await sql.query<{ license_id: string }>(
      `SELECT license_id FROM licensing_licenses
       WHERE owner_id = $1 AND model_code = $2 AND status = 'available' AND (expires_at IS NULL OR expires_at > $4::timestamptz)
       ORDER BY expires_at NULLS LAST, issued_at, license_id
       LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [ref.ownerId, ref.modelCode, ref.quantity, ref.now],
    );
    if (locked.length === ref.quantity) {
      facts.loadAvailable(ref, { licenseIds: locked.map((r) => r.license_id), available: ref.quantity });
      return;
    }
    // Too few unlocked: answer from what is committed. The decider then refuses
    // with the true count, or picks licenses another command holds and the
    // versions send this one round again.
    const rows = await sql.query<{ license_id: string; available: string | number }>(
      `SELECT license_id, count(*) OVER () AS available FROM licensing_licenses
       WHERE owner_id = $1 AND model_code = $2 AND status = 'available' AND (expires_at IS NULL OR expires_at > $4::timestamptz)
       ORDER BY expires_at NULLS LAST, issued_at, license_id
       LIMIT $3`,
      [ref.ownerId, ref.modelCode, ref.quantity, ref.now],
    );
    facts.loadAvailable(ref, { licenseIds: rows.map((r) => r.license_id), available: Number(rows[0]?.available ?? 0) });
  } else {
    const rows = await sql.query<{ device_id: string }>(
      'SELECT device_id FROM licensing_devices WHERE owner_id = $1 ORDER BY registered_at, device_id',
      [ref.ownerId],
    );
    facts.loadDevices(ref.ownerId, rows.map((r) => r.device_id));
  }
}

/** Brings the index up to the states a decision leaves its streams in. */
export async function updateIndex(sql: SqlExecutor, before: ReadonlyMap<string, AnyState>, after: ReadonlyMap<string, AnyState>): Promise<void> {
  const licenses: ReturnType<typeof licenseIndexRow>[] = [];
  const devices: ReturnType<typeof deviceIndexRow>[] = [];
  // Only rows that change: binding a license changes its row, not its device's.
  const changed = <T extends object>(row: T, old: T | undefined) => old === undefined || Object.keys(row).some((key) => row[key as keyof T] !== old[key as keyof T]);
  for (const [id, state] of after) {
    const kind = streamKind(id);
    const old = before.get(id);
    if (kind === 'license') {
      const row = licenseIndexRow(state as LicenseState);
      if (changed(row, old && licenseIndexRow(old as LicenseState))) licenses.push(row);
    } else if (kind === 'device') {
      const row = deviceIndexRow(state as DeviceState);
      if (changed(row, old && deviceIndexRow(old as DeviceState))) devices.push(row);
    }
  }
  // JSON in one parameter: one statement for any number of rows, on PostgreSQL and PGlite alike.
  // Rows go in License ID order, and before the append locks the streams (see write() in
  // command-executor.ts): every writer takes its locks in one order, so none deadlock.
  await Promise.all([
    licenses.length > 0 &&
      sql.query(
        `INSERT INTO licensing_licenses (license_id, owner_id, model_code, status, expires_at, issued_at)
         SELECT "licenseId", "ownerId", "modelCode", status, "expiresAt", "issuedAt"
         FROM jsonb_to_recordset($1::text::jsonb) AS r("licenseId" text, "ownerId" text, "modelCode" text, status text, "expiresAt" timestamptz, "issuedAt" timestamptz)
         ORDER BY "licenseId" COLLATE "C"
         ON CONFLICT (license_id) DO UPDATE SET owner_id = EXCLUDED.owner_id, model_code = EXCLUDED.model_code,
           status = EXCLUDED.status, expires_at = EXCLUDED.expires_at, issued_at = EXCLUDED.issued_at`,
        [JSON.stringify(licenses)],
      ),
    devices.length > 0 &&
      sql.query(
        `INSERT INTO licensing_devices (device_id, owner_id, model, registered_at)
         SELECT "deviceId", "ownerId", model, "registeredAt"
         FROM jsonb_to_recordset($1::text::jsonb) AS r("deviceId" text, "ownerId" text, model text, "registeredAt" timestamptz)
         ORDER BY "deviceId" COLLATE "C"
         ON CONFLICT (device_id) DO UPDATE SET owner_id = EXCLUDED.owner_id, model = EXCLUDED.model, registered_at = EXCLUDED.registered_at`,
        [JSON.stringify(devices)],
      ),
  ]);
}

