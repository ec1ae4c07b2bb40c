import type { SqlExecutor } from '@ledger/event-store';
import { type ApiKeyRecord, type ApiKeyRow, apiKeyRecord, iso } from './api-key-table';

export interface AccessLookup {
  keys: readonly string[];
  licenses: readonly string[];
  devices: readonly string[];
}

export interface AccessFound {
  keys: Map<string, ApiKeyRecord & { digest: string }>;
  /** Owner by License ID; from the write-side index, which a license's owner never leaves. */
  licenses: Map<string, string>;
  /** Owner by device id. */
  devices: Map<string, string>;
}

const KEY_JSON = `json_build_object('key_id', key_id, 'prefix', prefix, 'account_id', account_id, 'role', role, 'name', name,
  'device_id', device_id, 'server_id', server_id, 'expires_at', ${iso('expires_at').replace(/ AS \w+$/, '')},
  'revoked_at', ${iso('revoked_at').replace(/ AS \w+$/, '')}, 'created_at', ${iso('created_at').replace(/ AS \w+$/, '')},
  'created_by', created_by, 'digest', digest)::text`;

/**
 * What a request's access check reads, for any number of requests, in one
 * statement: the API keys presented and the owners of the licenses and
 * devices named. One round trip per batch instead of one per lookup: on a
 * 2-core machine each extra statement cost PostgreSQL about 0.2 ms of CPU.
 */
export async function lookupAccess(sql: SqlExecutor, asked: AccessLookup): Promise<AccessFound> {
  const rows = await sql.query<{ kind: 'k' | 'l' | 'd'; id: string; v: string }>(
    `SELECT 'k' AS kind, key_id AS id, ${KEY_JSON} AS v FROM access_api_keys WHERE key_id = ANY($1::text[])
     UNION ALL SELECT 'l', license_id, owner_id FROM licensing_licenses WHERE license_id = ANY($2::text[])
     UNION ALL SELECT 'd', device_id, owner_id FROM licensing_devices WHERE device_id = ANY($3::text[])`,
    [[...asked.keys], [...asked.licenses], [...asked.devices]],
  );
  const found: AccessFound = { keys: new Map(), licenses: new Map(), devices: new Map() };
  for (const row of rows) {
    if (row.kind === 'k') {
      const key = JSON.parse(row.v) as ApiKeyRow;
      found.keys.set(row.id, { ...apiKeyRecord(key), digest: key.digest });
    } else (row.kind === 'l' ? found.licenses : found.devices).set(row.id, row.v);
  }
  return found;
}
