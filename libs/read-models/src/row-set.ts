import type { Row, Rows, TableSpec } from './read-model';

/**
 * Rows of one batch in memory: those loaded from the tables, plus what the
 * fold put or deleted. Only the changed ones are written back.
 */
export class RowSet implements Rows {
  private readonly rows = new Map<string, Map<string, Row | null>>();
  private readonly dirty = new Map<string, Set<string>>();

  constructor(private readonly tables: readonly TableSpec[]) {
    for (const t of tables) {
      this.rows.set(t.name, new Map());
      this.dirty.set(t.name, new Set());
    }
  }

  /** Rows read from storage before the fold (null: not there). */
  load(table: string, key: string, row: Row | null): void {
    this.table(table).set(key, row);
  }

  get<R extends Row = Row>(table: string, key: string): R | undefined {
    return (this.table(table).get(key) ?? undefined) as R | undefined;
  }

  put(table: string, row: Row): void {
    const spec = this.spec(table);
    const key = row[spec.key];
    if (typeof key !== 'string') throw new Error(`${table}: row without its key ${spec.key}`);
    this.table(table).set(key, row);
    this.dirty.get(table)!.add(key);
  }

  delete(table: string, key: string): void {
    this.table(table).set(key, null);
    this.dirty.get(table)!.add(key);
  }

  /** What to write back: rows to upsert and keys to delete, per table. */
  changes(): { table: TableSpec; upserts: Row[]; deletes: string[] }[] {
    return this.tables.map((table) => {
      const upserts: Row[] = [];
      const deletes: string[] = [];
      const rows = this.table(table.name);
      for (const key of this.dirty.get(table.name)!) {
        const row = rows.get(key);
        if (row) upserts.push(row);
        else deletes.push(key);
      }
      return { table, upserts, deletes };
    });
  }

  /** Every row of a table known here, loaded or put (for in-memory replays). */
  all(table: string): Row[] {
    return [...this.table(table).values()].filter((r): r is Row => r !== null);
  }

  private table(name: string): Map<string, Row | null> {
    const t = this.rows.get(name);
    if (!t) throw new Error(`unknown read-model table ${name}`);
    return t;
  }

  private spec(name: string): TableSpec {
    const spec = this.tables.find((t) => t.name === name);
    if (!spec) throw new Error(`unknown read-model table ${name}`);
    return spec;
  }
}
