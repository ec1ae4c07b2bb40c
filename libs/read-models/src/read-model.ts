import type { RecordedEvent } from '@ledger/event-store';

/**
 * Column types of read-model tables. Instants are stored as canonical
 * ISO-8601 UTC text (`2026-01-02T03:04:05.000Z`): they sort and compare as
 * text, round-trip without driver conversions, and digest identically on
 * every backend.
 */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'instant' | 'jsonb' | 'boolean';

export type Row = Record<string, unknown>;

export interface TableSpec {
  /** The name queries use (a view over the live generation's table). */
  name: string;
  /** Primary key: one text column. */
  key: string;
  /** Every table has a `last_position` bigint column: the position of the last event its row applied (rows follow one stream each). */
  columns: Record<string, ColumnType>;
  /**
   * Secondary indexes, each a list of columns (optionally `col DESC`), with an
   * optional partial WHERE; `trigram`: a GIN index of one text column for
   * substring search (LIKE '%…%'), made only where pg_trgm can be had.
   */
  indexes?: { columns: string[]; where?: string; trigram?: boolean }[];
}

/** The rows a projection reads and changes while folding one batch. */
export interface Rows {
  get<R extends Row = Row>(table: string, key: string): R | undefined;
  put(table: string, row: Row): void;
  delete(table: string, key: string): void;
}

/**
 * A read model as a pure fold: which rows an event touches, and how it
 * changes them. The runtime loads those rows, folds a whole batch in memory
 * and writes what changed, so the same code builds the live tables, a
 * rebuild, verify's scratch copy and an as-of answer.
 */
export interface ReadModel {
  /** Stable name: checkpoints and tables are keyed by it. */
  readonly name: string;
  /** Bumped whenever tables or fold change: a store at an older version is rebuilt. */
  readonly version: number;
  readonly tables: readonly TableSpec[];
  /** The rows (table, key) `apply` will read for this event; [] when it ignores the event. */
  touches(event: RecordedEvent): readonly (readonly [table: string, key: string])[];
  apply(rows: Rows, event: RecordedEvent): void;
}

/** Canonical instant text (see ColumnType). */
export function instant(value: string): string;
export function instant(value: string | null): string | null;
export function instant(value: string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
