import type { SqlExecutor } from '@ledger/event-store';
import type { ColumnType, Row, TableSpec } from './read-model';

const SQL_TYPE: Record<ColumnType, string> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  // Canonical ISO text, see ColumnType: C collation so that text order is time order.
  instant: 'text COLLATE "C"',
  jsonb: 'jsonb',
  boolean: 'boolean',
};
// jsonb_to_recordset needs plain types (no collation clause).
const RECORD_TYPE: Record<ColumnType, string> = { ...SQL_TYPE, instant: 'text' };

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Where one generation of a read model's tables lives. */
export interface TablePlacement {
  /** Schema to qualify names with (null: the store's search path). */
  schema: string | null;
  generation: number;
}

export function physicalName(table: TableSpec, placement: TablePlacement, qualified = true): string {
  const name = `${table.name}_g${placement.generation}`;
  if (!IDENT.test(name)) throw new Error(`read-model table name ${name} is not a plain identifier`);
  return qualified && placement.schema ? `${placement.schema}.${name}` : name;
}

/** `trigramOpclass`: pg_trgm's `gin_trgm_ops`, schema-qualified, or null where pg_trgm is not installed (trigram indexes are then left out). */
export function createTableSql(table: TableSpec, placement: TablePlacement, trigramOpclass: string | null = null): string {
  const name = physicalName(table, placement);
  const bare = physicalName(table, placement, false);
  const columns = Object.entries(table.columns).map(
    ([column, type]) => `${column} ${SQL_TYPE[type]}${column === table.key ? ' COLLATE "C" PRIMARY KEY' : ''}`,
  );
  const indexes = (table.indexes ?? []).flatMap((index, i) => {
    if (!index.trigram) return [`CREATE INDEX ${bare}_i${i} ON ${name} (${index.columns.join(', ')})${index.where ? ` WHERE ${index.where}` : ''};`];
    return trigramOpclass ? [`CREATE INDEX ${bare}_i${i} ON ${name} USING gin (${index.columns[0]} ${trigramOpclass});`] : [];
  });
  return [`CREATE TABLE ${name} (${columns.join(', ')});`, ...indexes].join('\n');
}

export function dropTableSql(table: TableSpec, placement: TablePlacement): string {
  return `DROP TABLE IF EXISTS ${physicalName(table, placement)};`;
}

/** The view queries read: the live generation's table under the model's own name. */
export function viewSql(table: TableSpec, placement: TablePlacement): string {
  return `DROP VIEW IF EXISTS ${table.name}; CREATE VIEW ${table.name} AS SELECT * FROM ${physicalName(table, placement)};`;
}

/** Reads the rows with these keys, in one statement. */
export async function loadRows(sql: SqlExecutor, table: TableSpec, placement: TablePlacement, keys: readonly string[]): Promise<Row[]> {
  if (keys.length === 0) return [];
  const columns = Object.keys(table.columns).join(', ');
  const bigints = Object.keys(table.columns).filter((c) => table.columns[c] === 'bigint');
  const rows = await sql.query<Row>(
    `SELECT ${columns} FROM ${physicalName(table, placement)}
     WHERE ${table.key} IN (SELECT jsonb_array_elements_text($1::text::jsonb))`,
    [JSON.stringify(keys)],
  );
  // postgres.js hands bigint over as text, PGlite as a number: positions fit a double either way.
  for (const row of rows) for (const c of bigints) if (row[c] !== null) row[c] = Number(row[c]);
  return rows;
}

/** Writes a batch's changes: one upsert and one delete statement per table at most. */
export async function writeRows(
  sql: SqlExecutor,
  table: TableSpec,
  placement: TablePlacement,
  upserts: readonly Row[],
  deletes: readonly string[],
): Promise<void> {
  const name = physicalName(table, placement);
  const columns = Object.keys(table.columns);
  if (deletes.length > 0) {
    await sql.query(`DELETE FROM ${name} WHERE ${table.key} IN (SELECT jsonb_array_elements_text($1::text::jsonb))`, [
      JSON.stringify(deletes),
    ]);
  }
  if (upserts.length === 0) return;
  const record = columns.map((c) => `${c} ${RECORD_TYPE[table.columns[c]!]}`).join(', ');
  const updates = columns.filter((c) => c !== table.key).map((c) => `${c} = EXCLUDED.${c}`);
  await sql.query(
    `INSERT INTO ${name} (${columns.join(', ')})
     SELECT ${columns.join(', ')} FROM jsonb_to_recordset($1::text::jsonb) AS x(${record})
     ON CONFLICT (${table.key}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
    [JSON.stringify(upserts.map((row) => pick(row, columns)))],
  );
}

function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c] ?? null;
  return out;
}

/**
 * A digest of a table's content, independent of physical order and of which
 * generation or schema holds it: rows as JSON, in key order.
 */
export async function tableDigest(sql: SqlExecutor, table: TableSpec, placement: TablePlacement): Promise<{ rows: number; digest: string }> {
  const [row] = await sql.query<{ rows: string | number; digest: string | null }>(
    `SELECT count(*) AS rows, md5(string_agg(to_jsonb(t)::text, E'\\n' ORDER BY t.${table.key})) AS digest
     FROM ${physicalName(table, placement)} t`,
  );
  return { rows: Number(row?.rows ?? 0), digest: row?.digest ?? md5Empty };
}
const md5Empty = 'd41d8cd98f00b204e9800998ecf8427e';

/** Keys whose rows differ between two placements (for a verify report). */
export async function differingKeys(sql: SqlExecutor, table: TableSpec, a: TablePlacement, b: TablePlacement, limit = 10): Promise<string[]> {
  const rows = await sql.query<{ key: string }>(
    `SELECT coalesce(x.${table.key}, y.${table.key}) AS key
     FROM ${physicalName(table, a)} x FULL JOIN ${physicalName(table, b)} y ON x.${table.key} = y.${table.key}
     WHERE to_jsonb(x) IS DISTINCT FROM to_jsonb(y)
     ORDER BY 1 LIMIT ${limit}`,
  );
  return rows.map((r) => r.key);
}

/**
 * pg_trgm's operator class, installing the extension in `public` if it is
 * missing (it ships with PostgreSQL and PGlite loads it; creating it needs
 * the CREATE privilege on the database). Null when it cannot be had: substring
 * search then scans, which is correct, only slower.
 */
export async function trigramOpclass(sql: SqlExecutor): Promise<string | null> {
  const find = async () =>
    (await sql.query<{ schema: string }>(`SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`))[0]?.schema;
  let schema = await find();
  if (!schema) {
    // public: a schema of the ledger's own could be dropped, and the extension (with every index using it) with it.
    await sql.query('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public').catch(() => undefined);
    schema = await find();
  }
  return schema && IDENT.test(schema) ? `${schema}.gin_trgm_ops` : null;
}
