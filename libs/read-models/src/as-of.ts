import type { RecordedEvent } from '@ledger/event-store';
import type { ReadModel } from './read-model';
import { applyOnce } from './generations';
import { RowSet } from './row-set';

/**
 * A read model's rows as of a past moment, folded in memory from the events
 * up to it with the same fold that builds the tables: an as-of answer and
 * the live one can only differ by the events between them.
 */
export function replayRows(model: ReadModel, events: readonly RecordedEvent[]): RowSet {
  const rows = new RowSet(model.tables);
  const ordered = [...events].sort((a, b) => a.globalPosition - b.globalPosition);
  for (const event of ordered) applyOnce(model, rows, event);
  return rows;
}
