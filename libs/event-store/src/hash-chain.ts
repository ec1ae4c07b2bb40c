import { hash } from 'node:crypto';
import type { JsonObject } from './json';
import { canonicalJson } from './json';

export interface HashedEventContent {
  data: JsonObject;
  eventId: string;
  metadata: JsonObject;
  schemaVersion: number;
  streamId: string;
  type: string;
  /** The event's position in its stream (the stream's version once it is written). */
  version: number;
}

/** The previous hash of a stream's first event. */
export const GENESIS_HASH: Buffer = Buffer.alloc(0);

/**
 * The canonical JSON (RFC 8785) of an event as the hash chain covers it.
 * Its keys are written in sorted order by hand: this runs once per event
 * appended. ledger_append builds the same text in SQL.
 */
export function canonicalEvent(event: HashedEventContent): string {
  return canonicalEventFrom(
    canonicalJson(event.data, '$.data'),
    event.eventId,
    canonicalJson(event.metadata, '$.metadata'),
    event.schemaVersion,
    event.streamId,
    event.type,
    event.version,
  );
}

/** canonicalEvent with data and metadata already canonical (an append shares one metadata text). */
export function canonicalEventFrom(
  dataJson: string,
  eventId: string,
  metadataJson: string,
  schemaVersion: number,
  streamId: string,
  type: string,
  version: number,
): string {
  return (
    '{"data":' +
    dataJson +
    ',"eventId":' +
    JSON.stringify(eventId) +
    ',"metadata":' +
    metadataJson +
    ',"schemaVersion":' +
    schemaVersion +
    ',"streamId":' +
    JSON.stringify(streamId) +
    ',"type":' +
    JSON.stringify(type) +
    ',"version":' +
    version +
    '}'
  );
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/** hash(N) = SHA-256(hash(N-1) ‖ UTF-8 of the canonical JSON of event N). */
export function nextHash(previous: Buffer, canonical: string): Buffer {
  // One reused buffer and one-shot hashing: this runs for every event of a new stream.
  const needed = previous.length + Buffer.byteLength(canonical, 'utf8');
  if (needed > scratch.length) scratch = Buffer.allocUnsafe(Math.max(needed, scratch.length * 2));
  const start = previous.copy(scratch, 0);
  const end = start + scratch.write(canonical, start, 'utf8');
  return hash('sha256', scratch.subarray(0, end), 'buffer') as Buffer;
}

/** nextHash over lowercase hex, for callers that hold hashes as the store returns them. */
export function eventHash(previousHex: string, event: HashedEventContent): string {
  return nextHash(Buffer.from(previousHex, 'hex'), canonicalEvent(event)).toString('hex');
}
