import type { FeedCheckpoint } from './event-store.port';

const CHECKPOINT = /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/;

/**
 * A feed checkpoint as text, `epoch.txId.position`: how it travels to
 * consumers outside the process (GET /v1/events `next`, ledgerctl export
 * `--after`), who hand it back to continue where they stopped.
 */
export function formatFeedCheckpoint(c: FeedCheckpoint): string {
  return `${c.epoch}.${c.txId}.${c.position}`;
}

/** The checkpoint `formatFeedCheckpoint` wrote, or null for any other text. */
export function parseFeedCheckpoint(text: string): FeedCheckpoint | null {
  const m = CHECKPOINT.exec(text);
  if (!m) return null;
  const [epoch, txId, position] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (![epoch, txId, position].every(Number.isSafeInteger) || epoch > 2_147_483_647) return null;
  return { epoch, txId, position };
}
