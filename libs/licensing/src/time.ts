/** Time arithmetic on ISO-8601 instants. Pure: the current time always comes in with the command. */
const DAY_MS = 86_400_000;

export function addDays(instant: string, days: number): string {
  return new Date(Date.parse(instant) + days * DAY_MS).toISOString();
}

/** The later of two instants; null counts as "none yet". */
export function later(a: string, b: string | null): string {
  return b !== null && Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * The end of a term of `termDays` counted from `from`. A forced activation
 * date in the past started the term's clock then: only what is left of the
 * term counts (the term starts at activation or at the forced date, whichever
 * comes first).
 */
export function termEnd(from: string, termDays: number, forcedActivationDate: string | null, now: string): string {
  const used = forcedActivationDate !== null && isBefore(forcedActivationDate, now) ? Date.parse(now) - Date.parse(forcedActivationDate) : 0;
  return new Date(Date.parse(from) + Math.max(0, termDays * DAY_MS - used)).toISOString();
}

export function isBefore(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}
