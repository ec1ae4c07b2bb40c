/**
 * Our store alone, on either backend: one big append, and reading the whole feed.
 */
import { FEED_START, type EventStore, type FeedCheckpoint, type NewEvent } from '@ledger/event-store';
import { licenseData, newStreamId } from './contenders';
import { median, throwIfInterrupted } from './harness';

export const BULK_EVENTS = 10_000;
export const FEED_BATCH = 5_000;

export interface BulkAppendResult {
  backend: string;
  events: number;
  warmups: number;
  /** Events per second of each measured append. */
  runs: number[];
  median: number;
  min: number;
}

export interface FeedReadResult {
  backend: string;
  /** Events in the store when read. */
  storedEvents: number;
  /** Events one full read returned: less than stored means a transaction elsewhere held the feed back. */
  eventsRead: number;
  batch: number;
  /** Events per second of each full read. */
  runs: number[];
  median: number;
  min: number;
}

const bulkEvents = (count: number): NewEvent[] =>
  Array.from({ length: count }, () => ({ type: 'LicenseIssued', data: licenseData() }));

/** Appends BULK_EVENTS events to a new stream, `warmups + repeats` times; the events are built before the clock starts. */
export async function measureBulkAppend(
  store: EventStore,
  backend: string,
  options: { warmups: number; repeats: number; signal: AbortSignal; log: (line: string) => void },
): Promise<BulkAppendResult> {
  const runs: number[] = [];
  for (let i = 0; i < options.warmups + options.repeats; i++) {
    throwIfInterrupted(options.signal);
    const events = bulkEvents(BULK_EVENTS);
    const started = performance.now();
    await store.appendToStream(newStreamId(), 'no_stream', events);
    const rate = BULK_EVENTS / ((performance.now() - started) / 1_000);
    if (i >= options.warmups) runs.push(rate);
    options.log(`  ${backend} 10,000-event append ${i < options.warmups ? 'warm-up' : `run ${i - options.warmups + 1}`}: ${Math.round(rate)} events/s`);
  }
  return { backend, events: BULK_EVENTS, warmups: options.warmups, runs, median: median(runs), min: Math.min(...runs) };
}

/** Tops the store up with 10,000-event appends until the feed holds at least `minimum` events. */
export async function fillTo(store: EventStore, minimum: number, signal: AbortSignal, log: (line: string) => void): Promise<number> {
  let stored = await countEvents(store);
  if (stored < minimum) log(`  ${stored} events stored: filling up to ${minimum} for the feed read`);
  while (stored < minimum) {
    throwIfInterrupted(signal);
    await store.appendToStream(newStreamId(), 'no_stream', bulkEvents(BULK_EVENTS));
    stored += BULK_EVENTS;
  }
  return stored;
}

export async function countEvents(store: EventStore): Promise<number> {
  const [row] = await store.sql.query<{ n: string | number }>('SELECT count(*) AS n FROM ledger_events');
  return Number(row?.n ?? 0);
}

/**
 * Reads the whole feed from the start in batches of FEED_BATCH, `repeats`
 * times, or fewer once the reads have taken `budgetSeconds`: a slow feed over
 * a big store must not stretch the run by minutes.
 */
export async function measureFeedRead(
  store: EventStore,
  backend: string,
  options: { repeats: number; budgetSeconds: number; signal: AbortSignal; log: (line: string) => void },
): Promise<FeedReadResult> {
  const storedEvents = await countEvents(store);
  const runs: number[] = [];
  let eventsRead = 0;
  let spent = 0;
  while (runs.length < options.repeats && (runs.length === 0 || spent < options.budgetSeconds)) {
    throwIfInterrupted(options.signal);
    const started = performance.now();
    const { read, last } = await readWholeFeed(store);
    const seconds = (performance.now() - started) / 1_000;
    spent += seconds;
    runs.push(read / seconds);
    eventsRead = read;
    options.log(`  ${backend} feed read ${runs.length}/${options.repeats}: ${read} events at ${Math.round(read / seconds)} events/s`);
    if (read < storedEvents) await explainShortRead(store, backend, storedEvents - read, last, options.log);
  }
  if (runs.length < options.repeats) options.log(`  ${backend} feed: stopped after ${runs.length} read(s), ${spent.toFixed(0)} s spent`);
  return { backend, storedEvents, eventsRead, batch: FEED_BATCH, runs, median: median(runs), min: Math.min(...runs) };
}

async function readWholeFeed(store: EventStore): Promise<{ read: number; last: FeedCheckpoint }> {
  let after = FEED_START;
  let read = 0;
  for (;;) {
    const { events, checkpoint } = await store.readFeed({ after, limit: FEED_BATCH });
    if (events.length === 0) return { read, last: after };
    read += events.length;
    after = checkpoint;
  }
}

/**
 * Why a full read returned fewer events than are stored. The feed holds back
 * events of transactions not older than every one still running (on the
 * whole server: transaction ids are cluster-wide), so another session's open
 * transaction can hide the tail; events missing before the last checkpoint
 * were skipped instead, which no reader should ever see.
 */
async function explainShortRead(store: EventStore, backend: string, missing: number, last: FeedCheckpoint, log: (line: string) => void) {
  const [row] = await store.sql.query<{ snapshot: string; after: string | number }>(
    `SELECT pg_current_snapshot()::text AS snapshot, count(*) AS after
     FROM ledger_events WHERE (epoch, tx_id, global_position) > ($1::integer, $2::xid8, $3::bigint)`,
    [last.epoch, String(last.txId), last.position],
  );
  const heldBack = Number(row?.after ?? 0);
  log(
    `  ${backend} feed read ${missing} events short: ${heldBack} after its last checkpoint ${JSON.stringify(last)} ` +
      `(held back; snapshot ${row?.snapshot}), ${missing - heldBack} skipped before it`,
  );
}
