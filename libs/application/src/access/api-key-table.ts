import type { ComponentMigration, EventStore, SqlExecutor } from '@ledger/event-store';
import type { Role } from '@ledger/licensing';

/**
 * API keys as the ledger keeps them: the events say who holds a key, for what
 * and until when; this table adds the keyed digest that proves a presented key
 * (never the key itself), and is written in the same transaction as the
 * events. Every request reads it, so a revocation counts on the next request
 * in every process.
 */
export const ACCESS_COMPONENT = 'access';

export const ACCESS_MIGRATIONS: readonly ComponentMigration[] = [
  {
    version: 1,
    name: 'api keys',
    sql: `
      CREATE TABLE access_api_keys (
        key_id      text COLLATE "C" PRIMARY KEY,
        prefix      text NOT NULL,
        account_id  text NOT NULL,
        role        text NOT NULL,
        name        text NOT NULL,
        device_id   text,
        server_id   text,
        expires_at  timestamptz,
        revoked_at  timestamptz,
        created_at  timestamptz NOT NULL,
        created_by  text NOT NULL,
        -- HMAC-SHA-256 of the whole key under the server secret, hex.
        digest      text NOT NULL
      );
      CREATE INDEX access_api_keys_account ON access_api_keys (account_id, key_id);
    `,
  },
];

export function migrateAccess(store: EventStore) {
  return store.migrateComponent(ACCESS_COMPONENT, ACCESS_MIGRATIONS);
}

export interface ApiKeyRecord {
  keyId: string;
  prefix: string;
  accountId: string;
  role: Role;
  name: string;
  deviceId: string | null;
  serverId: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
  createdBy: string;
}

export interface ApiKeyRow {
  key_id: string;
  prefix: string;
  account_id: string;
  role: Role;
  name: string;
  device_id: string | null;
  server_id: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  created_by: string;
  digest: string;
}

// Instants as canonical ISO text whatever the driver: postgres.js and PGlite map timestamptz differently.
export const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;
const COLUMNS = `key_id, prefix, account_id, role, name, device_id, server_id, ${iso('expires_at')}, ${iso('revoked_at')}, ${iso('created_at')}, created_by`;

export const apiKeyRecord = (r: ApiKeyRow): ApiKeyRecord => ({
  keyId: r.key_id,
  prefix: r.prefix,
  accountId: r.account_id,
  role: r.role,
  name: r.name,
  deviceId: r.device_id,
  serverId: r.server_id,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

/** Reads of the key table: one indexed row per request. */
export class ApiKeyDirectory {
  constructor(private readonly sql: SqlExecutor) {}

  async find(keyId: string): Promise<(ApiKeyRecord & { digest: string }) | null> {
    const [row] = await this.sql.query<ApiKeyRow>(`SELECT ${COLUMNS}, digest FROM access_api_keys WHERE key_id = $1`, [keyId]);
    return row ? { ...apiKeyRecord(row), digest: row.digest } : null;
  }

  /** Keys of some accounts (all when `accountIds` is null), by key id, after `afterKeyId`. */
  async list(accountIds: readonly string[] | null, limit: number, afterKeyId?: string): Promise<ApiKeyRecord[]> {
    const rows = await this.sql.query<ApiKeyRow>(
      `SELECT ${COLUMNS} FROM access_api_keys
       WHERE ($1::text[] IS NULL OR account_id = ANY($1::text[])) AND ($2::text IS NULL OR key_id > $2::text)
       ORDER BY key_id LIMIT $3`,
      [accountIds === null ? null : [...accountIds], afterKeyId ?? null, limit],
    );
    return rows.map(apiKeyRecord);
  }

  /** Whether any key was ever created (the first start creates the bootstrap admin key when none was). */
  async any(): Promise<boolean> {
    const rows = await this.sql.query(`SELECT 1 FROM access_api_keys LIMIT 1`);
    return rows.length > 0;
  }
}

