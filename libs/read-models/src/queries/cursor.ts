/**
 * Cursor pagination: a cursor is the opaque base64url of the last item's sort
 * key, tagged with the list it belongs to. The next page starts strictly
 * after that key, so items added or changed meanwhile never repeat one.
 */

/** A cursor that is not one this list handed out (400 VALIDATION_FAILED at the HTTP layer). */
export class InvalidCursorError extends Error {
  constructor(detail = 'not a cursor this list handed out') {
    super(detail);
    this.name = 'InvalidCursorError';
  }
}

export type CursorValue = string | number | null;

export function encodeCursor(list: string, key: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify([list, ...key]), 'utf8').toString('base64url');
}

/** The sort key a cursor carries; checks its list and the type of each part ('string?' allows null). */
export function decodeCursor(list: string, cursor: string, types: readonly ('string' | 'string?' | 'number')[]): CursorValue[] {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError();
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parsed) || parsed.length !== types.length + 1 || parsed[0] !== list) throw new InvalidCursorError();
  const key = parsed.slice(1) as unknown[];
  key.forEach((value, i) => {
    const type = types[i];
    const fits =
      type === 'number' ? typeof value === 'number' && Number.isSafeInteger(value)
      : type === 'string?' ? value === null || typeof value === 'string'
      : typeof value === 'string';
    if (!fits) throw new InvalidCursorError();
  });
  return key as CursorValue[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** From limit + 1 rows: the page, and the cursor after its last item when more follow. */
export function pageOf<R, T>(rows: readonly R[], limit: number, list: string, keyOf: (row: R) => CursorValue[], shape: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(shape), nextCursor: more && last !== undefined ? encodeCursor(list, keyOf(last)) : null };
}
