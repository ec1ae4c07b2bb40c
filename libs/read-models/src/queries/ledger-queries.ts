import type { EventStore, ReadStreamsOptions, RecordedEvent } from '@ledger/event-store';
import { addDays, normalizeSerial } from '@ledger/licensing';
import { replayRows } from '../as-of';
import { instant } from '../read-model';
import { ACCOUNTS_TABLE, type AccountRow } from '../projections/accounts.projection';
import { type LicenseModelRow, MODELS_TABLE } from '../projections/catalog.projection';
import { DEPLOYMENTS_TABLE, type DeploymentRow } from '../projections/deployments.projection';
import { DEVICES_TABLE, type DeviceRow, devicesProjection } from '../projections/devices.projection';
import { LICENSES_TABLE, type LicenseRow, licensesProjection } from '../projections/licenses.projection';
import { type Page, decodeCursor, pageOf } from './cursor';
import {
  type AccountView,
  type DeploymentView,
  type DeviceSummary,
  type DeviceView,
  type InventoryCount,
  type InventoryStatus,
  type LicenseDetail,
  type LicenseSummary,
  accountView,
  cmp,
  countsOf,
  deploymentView,
  deviceSummary,
  deviceView,
  effectiveStatus,
  effectiveStatusSql,
  licenseDetail,
  licenseSummary,
  normalizeRow,
} from './shape';

export interface ListOptions {
  /** 1 to 200. */
  limit: number;
  cursor?: string | undefined;
}

export interface InventoryFilters extends ListOptions {
  modelCode?: string | undefined;
  category?: string | undefined;
  /** Items only: the counts always show every bucket. */
  status?: InventoryStatus | undefined;
}

/**
 * Tenancy for the lists that span accounts (search, expiring): a scoped
 * caller sees only what its own account or an account below it owns.
 */
export interface ScopeOptions {
  /**
   * An account id: only rows owned by that account or by an account below it
   * (its customers, theirs, at any depth). Undefined: every account's rows
   * (global callers: vendor admins, auditors).
   */
  within?: string | undefined;
}

/** A past moment: a global position (events at or before it) or an instant (events recorded at or before it). */
export type AsOf = { position: number } | { instant: string };

export interface Inventory {
  accountId: string;
  counts: InventoryCount[];
  licenses: Page<LicenseSummary>;
}

export interface SearchItem {
  kind: 'account' | 'purchase-order' | 'key' | 'license' | 'device';
  id: string;
  label: string;
  [extra: string]: unknown;
}

export interface ExpiringItem {
  kind: 'license' | 'device';
  id: string;
  expiresAt: string;
  ownerId: string;
  [extra: string]: unknown;
}

/** Licenses by id: from the live table, or folded from their streams as of a past moment. */
type LicenseSource = (ids: readonly string[]) => Promise<Map<string, LicenseRow>>;

/** What a license summary shows (licenseSummary), and nothing more: a page of 50 would otherwise carry every column. */
const SUMMARY_COLUMNS = [
  'license_id', 'owner_id', 'model_code', 'category', 'binds_to', 'status', 'valid_from', 'valid_until', 'device_id', 'channel',
  'msp_account_id', 'deployment_id', 'key_code', 'po_number', 'issued_reason', 'issued_at',
].map((c) => `l.${c}`).join(', ');

/** readStreams takes at most this many streams at once. */
const AS_OF_CHUNK = 5_000;
/** A lineage longer than this is a fault in the data, not a history. */
const MAX_LINEAGE = 10_000;

/**
 * The ledger's read side: every answer is read from the read-model views
 * (rm_*), or for an as-of answer folded from the streams up to that moment
 * with the projections' own fold, and shaped by the same functions (shape.ts).
 * Instants are canonical ISO text; `now` is the caller's (a request's time).
 */
export class LedgerQueries {
  constructor(private readonly store: EventStore) {}

  // ------------------------------------------------------------------ accounts

  async account(accountId: string, now: string): Promise<AccountView | null> {
    const row = await this.accountRow(accountId);
    if (!row) return null;
    const names = await this.accountsById([...(row.parent_id ? [row.parent_id] : []), ...row.linked]);
    return accountView(row, names, instant(now));
  }

  async customers(partnerId: string, options: ListOptions & { q?: string | undefined }, now: string): Promise<(Page<AccountView> & { accountId: string }) | null> {
    if (!(await this.accountRow(partnerId))) return null;
    const after = options.cursor ? decodeCursor('customers', options.cursor, ['string', 'string']) : null;
    const rows = (
      await this.store.sql.query(
        `SELECT * FROM rm_accounts
         WHERE parent_id = $1
           AND ($2::text IS NULL OR name_key LIKE $2::text ESCAPE '\\')
           AND ($3::text IS NULL OR name_key COLLATE "C" > ($3::text COLLATE "C") OR (name_key = $3::text AND account_id > ($4::text COLLATE "C")))
         ORDER BY name_key COLLATE "C", account_id COLLATE "C"
         LIMIT $5`,
        [partnerId, options.q ? `%${escapeLike(options.q.toLowerCase())}%` : null, after?.[0] ?? null, after?.[1] ?? null, options.limit + 1],
      )
    ).map((r) => normalizeRow<AccountRow>(ACCOUNTS_TABLE, r));
    const names = await this.accountsById([partnerId, ...rows.flatMap((r) => r.linked)]);
    const page = pageOf(rows, options.limit, 'customers', (r) => [r.name_key, r.account_id], (r) => accountView(r, names, instant(now)));
    return { accountId: partnerId, ...page };
  }

  // ------------------------------------------------------------------ inventories

  async inventory(accountId: string, filters: InventoryFilters, now: string): Promise<Inventory | null> {
    if (!(await this.accountRow(accountId))) return null;
    return this.inventoryOf(accountId, 'l.owner_id = $1', filters, instant(now), false);
  }

  /** The licenses of the partner's customers (accounts whose parent it is), with their owner's name. */
  async customerInventory(partnerId: string, filters: InventoryFilters, now: string): Promise<Inventory | null> {
    if (!(await this.accountRow(partnerId))) return null;
    return this.inventoryOf(partnerId, 'l.owner_id IN (SELECT account_id FROM rm_accounts WHERE parent_id = $1)', filters, instant(now), true);
  }

  private async inventoryOf(accountId: string, owners: string, filters: InventoryFilters, now: string, withOwner: boolean): Promise<Inventory> {
    const after = filters.cursor ? decodeCursor('inventory', filters.cursor, ['string']) : null;
    const status = effectiveStatusSql('$2');
    const counted = `${owners} AND ($3::text IS NULL OR l.model_code = $3::text) AND ($4::text IS NULL OR l.category = $4::text)`;
    const [tuples, rows] = await Promise.all([
      this.store.sql.query<{ model_code: string; category: string; status: string; n: string | number }>(
        `SELECT l.model_code, l.category, ${status} AS status, count(*) AS n FROM rm_licenses l WHERE ${counted} GROUP BY 1, 2, 3`,
        [accountId, now, filters.modelCode ?? null, filters.category ?? null],
      ),
      this.store.sql.query(
        `SELECT ${SUMMARY_COLUMNS}${withOwner ? ', o.name AS owner_name' : ''} FROM rm_licenses l
         ${withOwner ? 'LEFT JOIN rm_accounts o ON o.account_id = l.owner_id' : ''}
         WHERE ${counted} AND ($5::text IS NULL OR ${status} = $5::text) AND ($6::text IS NULL OR l.license_id > ($6::text COLLATE "C"))
         ORDER BY l.license_id COLLATE "C"
         LIMIT $7`,
        [accountId, now, filters.modelCode ?? null, filters.category ?? null, filters.status ?? null, after?.[0] ?? null, filters.limit + 1],
      ),
    ]);
    const licenses = rows.map((r) => ({ row: normalizeRow<LicenseRow>(LICENSES_TABLE, r), ownerName: (r['owner_name'] as string | null | undefined) ?? null }));
    return {
      accountId,
      counts: countsOf(tuples.map((t) => ({ modelCode: t.model_code, category: t.category, status: t.status, n: Number(t.n) }))),
      licenses: pageOf(licenses, filters.limit, 'inventory', (l) => [l.row.license_id], (l) => ({
        ...licenseSummary(l.row, now),
        ...(withOwner ? { ownerName: l.ownerName } : {}),
      })),
    };
  }

  /**
   * The account's inventory as of a past moment: its licenses (a license
   * never changes owner, so today's rows name every candidate) folded from
   * their streams up to that moment; those that did not exist yet are left out.
   */
  async inventoryAsOf(accountId: string, asOf: AsOf, filters: InventoryFilters, now: string): Promise<Inventory | null> {
    if (!(await this.accountRow(accountId))) return null;
    const at = asOfNow(asOf, now);
    const after = filters.cursor ? decodeCursor('inventory', filters.cursor, ['string']) : null;
    const ids = (
      await this.store.sql.query<{ license_id: string }>(
        `SELECT license_id FROM rm_licenses WHERE owner_id = $1 ORDER BY license_id COLLATE "C"`,
        [accountId],
      )
    ).map((r) => r.license_id);
    const rows = [...(await this.licensesAsOf(asOf)(ids)).values()]
      .filter((r) => (!filters.modelCode || r.model_code === filters.modelCode) && (!filters.category || r.category === filters.category))
      .sort((a, b) => cmp(a.license_id, b.license_id));
    const items = rows.filter((r) => (!filters.status || effectiveStatus(r, at) === filters.status) && (after === null || r.license_id > (after[0] as string)));
    return {
      accountId,
      counts: countsOf(rows.map((r) => ({ modelCode: r.model_code, category: r.category, status: effectiveStatus(r, at), n: 1 }))),
      licenses: pageOf(items.slice(0, filters.limit + 1), filters.limit, 'inventory', (r) => [r.license_id], (r) => licenseSummary(r, at)),
    };
  }

  // ------------------------------------------------------------------ licenses

  async license(licenseId: string, now: string): Promise<LicenseDetail | null> {
    const row = (await this.liveLicenses([licenseId])).get(licenseId);
    return row ? this.licenseAnswer(row, this.liveLicenses, instant(now)) : null;
  }

  /** The license as it was at that moment (null: it did not exist yet); lineage as of then too. */
  async licenseAsOf(licenseId: string, asOf: AsOf, now: string): Promise<LicenseDetail | null> {
    const source = this.licensesAsOf(asOf);
    const row = (await source([licenseId])).get(licenseId);
    return row ? this.licenseAnswer(row, source, asOfNow(asOf, now)) : null;
  }

  private async licenseAnswer(row: LicenseRow, source: LicenseSource, now: string): Promise<LicenseDetail> {
    const [model, owners, predecessors, successors] = await Promise.all([
      this.modelRow(row.model_code),
      this.accountsById([row.owner_id]),
      this.walk(row, source, (r) => r.predecessor_id),
      this.walk(row, source, (r) => r.successor_id),
    ]);
    return licenseDetail(row, { model, owner: owners.get(row.owner_id), predecessors: predecessors.reverse(), successors }, now);
  }

  /** Follows one lineage link from license to license (nearest first). */
  private async walk(from: LicenseRow, source: LicenseSource, next: (row: LicenseRow) => string | null): Promise<LicenseRow[]> {
    const chain: LicenseRow[] = [];
    const seen = new Set([from.license_id]);
    let id = next(from);
    while (id !== null && !seen.has(id) && chain.length < MAX_LINEAGE) {
      seen.add(id);
      const row = (await source([id])).get(id);
      if (!row) break;
      chain.push(row);
      id = next(row);
    }
    return chain;
  }

  // ------------------------------------------------------------------ devices

  async devices(accountId: string, options: ListOptions, now: string): Promise<(Page<DeviceSummary> & { accountId: string }) | null> {
    if (!(await this.accountRow(accountId))) return null;
    const after = options.cursor ? decodeCursor('devices', options.cursor, ['string?', 'string']) : null;
    // Earliest expiry first, devices that never expire last, then device id.
    const rows = (
      await this.store.sql.query(
        `SELECT * FROM rm_devices
         WHERE owner_id = $1
           AND ($2::boolean IS NOT TRUE
                OR ($3::text IS NOT NULL AND (earliest_expiry IS NULL OR earliest_expiry > ($3::text COLLATE "C")
                                              OR (earliest_expiry = $3::text AND device_id > ($4::text COLLATE "C"))))
                OR ($3::text IS NULL AND earliest_expiry IS NULL AND device_id > ($4::text COLLATE "C")))
         ORDER BY earliest_expiry COLLATE "C" ASC NULLS LAST, device_id COLLATE "C"
         LIMIT $5`,
        [accountId, after !== null, after?.[0] ?? null, after?.[1] ?? null, options.limit + 1],
      )
    ).map((r) => normalizeRow<DeviceRow>(DEVICES_TABLE, r));
    const at = instant(now);
    return { accountId, ...pageOf(rows, options.limit, 'devices', (r) => [r.earliest_expiry, r.device_id], (r) => deviceSummary(r, at)) };
  }

  async device(deviceId: string, now: string): Promise<DeviceView | null> {
    const [found] = await this.store.sql.query(`SELECT * FROM rm_devices WHERE device_id = $1`, [deviceId]);
    if (!found) return null;
    return this.deviceAnswer(normalizeRow<DeviceRow>(DEVICES_TABLE, found), this.liveLicenses, instant(now));
  }

  async deviceAsOf(deviceId: string, asOf: AsOf, now: string): Promise<DeviceView | null> {
    const read = await this.store.readStream(`device-${deviceId}`, streamOptions(asOf));
    const row = replayRows(devicesProjection, read.events).get<DeviceRow & Record<string, unknown>>(DEVICES_TABLE.name, deviceId);
    return row ? this.deviceAnswer(row, this.licensesAsOf(asOf), asOfNow(asOf, now)) : null;
  }

  private async deviceAnswer(row: DeviceRow, source: LicenseSource, now: string): Promise<DeviceView> {
    const [owners, licenses] = await Promise.all([this.accountsById([row.owner_id]), source(Object.keys(row.bindings))]);
    return deviceView(row, { owner: owners.get(row.owner_id), licenses }, now);
  }

  // ------------------------------------------------------------------ deployments

  async deployments(accountId: string, options: ListOptions & { status?: string | undefined }): Promise<(Page<DeploymentView> & { accountId: string }) | null> {
    if (!(await this.accountRow(accountId))) return null;
    const after = options.cursor ? decodeCursor('deployments', options.cursor, ['string', 'string']) : null;
    const rows = (
      await this.store.sql.query(
        `SELECT * FROM rm_deployments
         WHERE (owner_id = $1 OR creator_id = $1)
           AND ($2::text IS NULL OR status = $2::text)
           AND ($3::text IS NULL OR created_at > ($3::text COLLATE "C") OR (created_at = $3::text AND deployment_id > ($4::text COLLATE "C")))
         ORDER BY created_at COLLATE "C", deployment_id COLLATE "C"
         LIMIT $5`,
        [accountId, options.status ?? null, after?.[0] ?? null, after?.[1] ?? null, options.limit + 1],
      )
    ).map((r) => normalizeRow<DeploymentRow>(DEPLOYMENTS_TABLE, r));
    return { accountId, ...pageOf(rows, options.limit, 'deployments', (r) => [r.created_at, r.deployment_id], deploymentView) };
  }

  // ------------------------------------------------------------------ search and expiry

  /**
   * Accounts by name (case-insensitive substring), a PO number (exact), a key
   * code (with or without dashes, any case), a License ID (exact) and a device
   * serial (spaces and case ignored), ordered by kind, label, id.
   *
   * With `within`, only matches owned in that account's subtree: an account
   * in it, a PO its buyer is in it, a key its buyer or its claimant is in it,
   * a license or a device its owner is in it. The filter is in each branch,
   * before the cursor, so a scoped page walk sees each visible match once.
   */
  async search(q: string, options: ListOptions & ScopeOptions): Promise<Page<SearchItem> & { q: string }> {
    const after = options.cursor ? decodeCursor('search', options.cursor, ['number', 'string', 'string']) : null;
    const text = q.trim();
    const keyNorm = text.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
    const uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text) ? text.toLowerCase() : null;
    const serial = normalizeSerial(q);
    const scope = subtreeScope(options.within, 10);
    // Plain columns, shaped into each kind's fields after the LIMIT: building
    // JSON in SQL would cost it for every match of a common word, not only
    // for the page.
    const rows = await this.store.sql.query<{ rank: number; kind: SearchItem['kind']; id: string; label: string; a: string | null; b: string | null; c: string | null; d: string | null }>(
      `${scope.with}SELECT rank, kind, id, label, a, b, c, d FROM (
         SELECT 1 AS rank, 'account' AS kind, account_id::text COLLATE "C" AS id, name::text COLLATE "C" AS label,
                kind::text AS a, parent_id::text AS b, NULL::text AS c, NULL::text AS d
           FROM rm_accounts WHERE $1::text IS NOT NULL AND name_key LIKE $1::text ESCAPE '\\'${scope.and('account_id')}
         UNION ALL
         SELECT 2, 'purchase-order', po_number::text COLLATE "C", po_number::text COLLATE "C", buyer_id, placed_at, fulfilled_at, NULL
           FROM rm_purchase_orders WHERE po_number = $2::text${scope.and('buyer_id')}
         UNION ALL
         SELECT 3, 'key', key_code::text COLLATE "C", key_code::text COLLATE "C", po_number, model_code, quantity::text, claimed_by
           FROM rm_keys WHERE $3::text IS NOT NULL AND key_norm = $3::text${scope.and('buyer_id', 'claimed_by')}
         UNION ALL
         SELECT 4, 'license', license_id::text COLLATE "C", license_id::text COLLATE "C", owner_id, model_code, status, NULL
           FROM rm_licenses WHERE $4::text IS NOT NULL AND license_id = $4::text${scope.and('owner_id')}
         UNION ALL
         SELECT 5, 'device', device_id::text COLLATE "C", serial::text COLLATE "C", owner_id, model, serial, NULL
           FROM rm_devices WHERE $5::text IS NOT NULL AND serial_norm = $5::text${scope.and('owner_id')}
       ) s
       WHERE $6::integer IS NULL OR rank > $6::integer
          OR (rank = $6::integer AND (label > ($7::text COLLATE "C") OR (label = ($7::text COLLATE "C") AND id > ($8::text COLLATE "C"))))
       ORDER BY rank, label, id
       LIMIT $9`,
      [
        text ? `%${escapeLike(text.toLowerCase())}%` : null,
        text,
        keyNorm || null,
        uuid,
        serial || null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        after?.[2] ?? null,
        options.limit + 1,
        ...scope.params,
      ],
    );
    const page = pageOf(rows, options.limit, 'search', (r) => [Number(r.rank), r.label, r.id], (r) => ({
      kind: r.kind,
      id: r.id,
      label: r.label,
      ...searchFields(r),
    }));
    return { q, ...page };
  }

  /**
   * Licenses (available or bound) and devices whose validity ends between now
   * and now + days, soonest first. With `within`, only those whose owner is in
   * that account's subtree (filtered in each branch, before the cursor).
   */
  async expiring(days: number, options: ListOptions & ScopeOptions & { kind?: 'licenses' | 'devices' | undefined }, now: string): Promise<Page<ExpiringItem> & { from: string; until: string }> {
    const from = instant(now);
    const until = instant(addDays(from, days));
    const after = options.cursor ? decodeCursor('expiring', options.cursor, ['string', 'string']) : null;
    const scope = subtreeScope(options.within, 7);
    const rows = await this.store.sql.query<{ kind: ExpiringItem['kind']; id: string; expires_at: string; owner_id: string; extra: unknown }>(
      `${scope.with}SELECT kind, id, expires_at, owner_id, extra FROM (
         SELECT 'license' AS kind, license_id::text COLLATE "C" AS id, valid_until::text COLLATE "C" AS expires_at, owner_id,
                jsonb_build_object('modelCode', model_code, 'category', category, 'status', status, 'deviceId', device_id) AS extra
           FROM rm_licenses
          WHERE $1::text IS DISTINCT FROM 'devices' AND status IN ('available', 'bound')
            AND valid_until >= ($2::text COLLATE "C") AND valid_until <= ($3::text COLLATE "C")${scope.and('owner_id')}
         UNION ALL
         SELECT 'device', device_id::text COLLATE "C", earliest_expiry::text COLLATE "C", owner_id,
                jsonb_build_object('serial', serial, 'model', model)
           FROM rm_devices
          WHERE $1::text IS DISTINCT FROM 'licenses'
            AND earliest_expiry >= ($2::text COLLATE "C") AND earliest_expiry <= ($3::text COLLATE "C")${scope.and('owner_id')}
       ) s
       WHERE $4::text IS NULL OR expires_at > ($4::text COLLATE "C") OR (expires_at = ($4::text COLLATE "C") AND id > ($5::text COLLATE "C"))
       ORDER BY expires_at, id
       LIMIT $6`,
      [options.kind ?? null, from, until, after?.[0] ?? null, after?.[1] ?? null, options.limit + 1, ...scope.params],
    );
    const page = pageOf(rows, options.limit, 'expiring', (r) => [r.expires_at, r.id], (r) => ({
      kind: r.kind,
      id: r.id,
      expiresAt: r.expires_at,
      ownerId: r.owner_id,
      ...(typeof r.extra === 'string' ? JSON.parse(r.extra) : (r.extra as object)),
    }));
    return { from, until, ...page };
  }

  // ------------------------------------------------------------------ rows

  private async accountRow(accountId: string): Promise<AccountRow | undefined> {
    const [row] = await this.store.sql.query(`SELECT * FROM rm_accounts WHERE account_id = $1`, [accountId]);
    return row ? normalizeRow<AccountRow>(ACCOUNTS_TABLE, row) : undefined;
  }

  private async accountsById(ids: readonly string[]): Promise<Map<string, AccountRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.store.sql.query(
      `SELECT * FROM rm_accounts WHERE account_id IN (SELECT jsonb_array_elements_text($1::text::jsonb))`,
      [JSON.stringify([...new Set(ids)])],
    );
    return new Map(rows.map((r) => normalizeRow<AccountRow>(ACCOUNTS_TABLE, r)).map((r) => [r.account_id, r]));
  }

  private async modelRow(code: string): Promise<LicenseModelRow | undefined> {
    const [row] = await this.store.sql.query(`SELECT * FROM rm_license_models WHERE code = $1`, [code]);
    return row ? normalizeRow<LicenseModelRow>(MODELS_TABLE, row) : undefined;
  }

  private readonly liveLicenses: LicenseSource = async (ids) => {
    if (ids.length === 0) return new Map();
    const rows = await this.store.sql.query(
      `SELECT * FROM rm_licenses WHERE license_id IN (SELECT jsonb_array_elements_text($1::text::jsonb))`,
      [JSON.stringify([...new Set(ids)])],
    );
    return new Map(rows.map((r) => normalizeRow<LicenseRow>(LICENSES_TABLE, r)).map((r) => [r.license_id, r]));
  };

  /** Licenses folded from their streams up to the moment, by the licenses projection itself. */
  private licensesAsOf(asOf: AsOf): LicenseSource {
    return async (ids) => {
      const unique = [...new Set(ids)];
      const found = new Map<string, LicenseRow>();
      for (let i = 0; i < unique.length; i += AS_OF_CHUNK) {
        const chunk = unique.slice(i, i + AS_OF_CHUNK);
        const reads = await this.store.readStreams(chunk.map((id) => `license-${id}`), streamOptions(asOf));
        const events: RecordedEvent[] = reads.flatMap((r) => r.events);
        const rows = replayRows(licensesProjection, events);
        for (const id of chunk) {
          const row = rows.get<LicenseRow & Record<string, unknown>>(LICENSES_TABLE.name, id);
          if (row) found.set(id, row);
        }
      }
      return found;
    };
  }
}

function streamOptions(asOf: AsOf): ReadStreamsOptions {
  return 'position' in asOf ? { toPosition: asOf.position } : { toRecordedAt: instant(asOf.instant) };
}

/** What "now" is for an as-of answer (expiry): the moment itself when it is an instant, else the caller's now. */
function asOfNow(asOf: AsOf, now: string): string {
  return instant('instant' in asOf ? asOf.instant : now);
}

/**
 * The SQL of a `within` scope. Unscoped: nothing at all (no CTE, no
 * parameter, no filter), so a global caller's statement is the unscoped one.
 *
 * Scoped: `subtree`, the account ($param) and every account below it at any
 * depth, a recursive CTE over rm_accounts.parent_id (indexed), folded into one
 * array (`subtree_ids`): computed once per statement however many branches
 * read it. Each branch keeps the rows whose owner column is `= ANY` of it (a
 * row with several owner columns, e.g. a key's buyer and claimant, when any
 * of them is). `= ANY` of an array, rather than `IN (SELECT …)`, lets the
 * planner walk the owner indexes (owner_id leads them) for a small subtree
 * instead of scanning every tenant's rows and probing a hash of the subtree.
 *
 * The account itself is in its subtree even before the accounts projection
 * has its row; UNION, not UNION ALL, so a cycle in the data ends the
 * recursion; the ids have the default collation, as the owner columns and
 * parent_id do (only table keys are "C"), so their indexes stay usable.
 */
function subtreeScope(within: string | undefined, param: number): { with: string; and: (...columns: string[]) => string; params: string[] } {
  if (within === undefined) return { with: '', and: () => '', params: [] };
  return {
    with: `WITH RECURSIVE subtree (account_id) AS (
         SELECT $${param}::text
         UNION
         SELECT a.account_id COLLATE "default" FROM rm_accounts a JOIN subtree t ON a.parent_id = t.account_id
       ),
       subtree_ids AS (SELECT array_agg(account_id) AS ids FROM subtree)
       `,
    and: (...columns) => ` AND (${columns.map((c) => `${c} = ANY ((SELECT ids FROM subtree_ids)::text[])`).join(' OR ')})`,
    params: [within],
  };
}

/** A LIKE pattern matching the text literally (escape character: backslash). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The fields each kind of search match carries, from the plain columns a..d of its branch. */
function searchFields(r: { kind: SearchItem['kind']; a: string | null; b: string | null; c: string | null; d: string | null }): Record<string, unknown> {
  switch (r.kind) {
    case 'account': return { accountKind: r.a, parentId: r.b };
    case 'purchase-order': return { buyerId: r.a, placedAt: r.b, fulfilledAt: r.c };
    case 'key': return { poNumber: r.a, modelCode: r.b, quantity: r.c === null ? null : Number(r.c), claimedBy: r.d };
    case 'license': return { ownerId: r.a, modelCode: r.b, status: r.c };
    case 'device': return { ownerId: r.a, model: r.b, serial: r.c };
  }
}
