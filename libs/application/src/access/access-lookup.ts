import type { SqlExecutor } from '@ledger/event-store';
import { type ApiKeyRecord, type ApiKeyRow, apiKeyRecord, iso } from './api-key-table';

export interface AccessLookup {
  keyId?: string | undefined;
  licenseId?: string | undefined;
  deviceId?: string | undefined;
}

export interface AccessFound {
  key: (ApiKeyRecord & { digest: string }) | null;
  /** From the write-side index, which a license's owner never leaves; null: no such license. */
  licenseOwner: string | null;
  deviceOwner: string | null;
}

const column = (name: string) => iso(`k.${name}`).replace(/ AS .*$/, ` AS ${name}`);

/**
 * What one request's access check reads, in one statement of one row: the API
 * key presented and the owners of the license and device it names. Measured
 * on the local PostgreSQL: about 0.03 ms more than `SELECT 1`, where three
 * statements (or one `= ANY(array)` union for several requests) cost 0.1 to
 * 0.2 ms more; a statement per lookup was a tenth of a bind's PostgreSQL CPU.
 */
export async function lookupAccess(sql: SqlExecutor, asked: AccessLookup): Promise<AccessFound> {
  const [row] = await sql.query<Partial<ApiKeyRow> & { license_owner: string | null; device_owner: string | null }>(
    `SELECT k.key_id, k.prefix, k.account_id, k.role, k.name, k.device_id, k.server_id, ${column('expires_at')}, ${column('revoked_at')},
            ${column('created_at')}, k.created_by, k.digest,
            (SELECT owner_id FROM licensing_licenses WHERE license_id = $2) AS license_owner,
            (SELECT owner_id FROM licensing_devices WHERE device_id = $3) AS device_owner
     FROM (SELECT 1) AS one LEFT JOIN access_api_keys k ON k.key_id = $1`,
    [asked.keyId ?? null, asked.licenseId ?? null, asked.deviceId ?? null],
  );
  return {
    key: row?.key_id ? { ...apiKeyRecord(row as ApiKeyRow), digest: row.digest! } : null,
    licenseOwner: row?.license_owner ?? null,
    deviceOwner: row?.device_owner ?? null,
  };
}
