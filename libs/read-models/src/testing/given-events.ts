import type { RecordedEvent } from '@ledger/event-store';
import type { Emitted } from '@ledger/licensing';
import { replayRows } from '../as-of';
import type { ReadModel, Row } from '../read-model';

/** Domain events as the store would hand them to a projector: positions in the order given. */
export function recorded(events: readonly Emitted[], firstPosition = 1): RecordedEvent[] {
  const versions = new Map<string, number>();
  return events.map(([streamId, event], i) => {
    const version = (versions.get(streamId) ?? 0) + 1;
    versions.set(streamId, version);
    return {
      globalPosition: firstPosition + i, epoch: 1, txId: firstPosition + i, streamId, streamPosition: version,
      eventId: `00000000-0000-4000-8000-${String(firstPosition + i).padStart(12, '0')}`, type: event.type, schemaVersion: 1,
      data: event.data as unknown as RecordedEvent['data'],
      metadata: { commandId: null, correlationId: null, causationId: null, actor: 'test', recordedAt: '2026-01-01T00:00:00.000Z' },
      hash: '',
    };
  });
}

/** Given these events, the rows a projection holds in one table (by key). */
export function rowsAfter(model: ReadModel, table: string, events: readonly RecordedEvent[]): Record<string, Row> {
  return Object.fromEntries(replayRows(model, events).all(table).map((row) => [String(row[model.tables.find((t) => t.name === table)!.key]), row]));
}
