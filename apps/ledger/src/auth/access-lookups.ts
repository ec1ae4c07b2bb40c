import { Inject, Injectable } from '@nestjs/common';
import { type AccessFound, type AccessLookup, EVENT_STORE, lookupAccess } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';

/**
 * The reads of an access check, one statement per request: the key presented
 * and the owners of the license and device named. Nothing is cached: each
 * read happens after the request arrived, so a revocation counts on the next
 * request, in every process.
 */
@Injectable()
export class AccessLookups {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  lookup(asked: AccessLookup): Promise<AccessFound> {
    return lookupAccess(this.store.sql, asked);
  }
}
