import { Module } from '@nestjs/common';
import { EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { LedgerQueries } from '@ledger/read-models';
import { AccountQueriesController } from './account-queries.controller';
import { LedgerQueriesController } from './ledger-queries.controller';

/** The query routes under /v1: read models (rm_* views), read-your-writes via minPosition, as-of answers folded from the streams. */
@Module({
  controllers: [AccountQueriesController, LedgerQueriesController],
  providers: [{ provide: LedgerQueries, inject: [EVENT_STORE], useFactory: (store: EventStore) => new LedgerQueries(store) }],
})
export class QueriesModule {}
