import type { RecordedEvent } from '@ledger/event-store';
import type { LedgerEvent } from '@ledger/licensing';

/** The ledger's event as the domain types it (events are JSON facts; types never change). */
export const ledgerEvent = (e: RecordedEvent): LedgerEvent => ({ type: e.type, data: e.data }) as unknown as LedgerEvent;
