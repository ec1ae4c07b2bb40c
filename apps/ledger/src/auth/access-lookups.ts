import { Inject, Injectable } from '@nestjs/common';
import { type ApiKeyRecord, EVENT_STORE, lookupAccess } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { Batcher } from './batcher';

type Asked = `k:${string}` | `l:${string}` | `d:${string}`;

/**
 * The reads of every access check (keys presented, owners of the licenses and
 * devices named) of the requests of one turn of the event loop, in one
 * statement (lookupAccess). Nothing is cached: each read happens after the
 * request arrived, so a revocation counts on the next request.
 */
@Injectable()
export class AccessLookups {
  private readonly batcher: Batcher<Asked, unknown>;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.batcher = new Batcher<Asked, unknown>(async (asked) => {
      const ids = (prefix: string) => asked.filter((a) => a.startsWith(prefix)).map((a) => a.slice(2));
      const found = await lookupAccess(store.sql, { keys: ids('k:'), licenses: ids('l:'), devices: ids('d:') });
      const answers = new Map<Asked, unknown>();
      for (const [id, key] of found.keys) answers.set(`k:${id}`, key);
      for (const [id, owner] of found.licenses) answers.set(`l:${id}`, owner);
      for (const [id, owner] of found.devices) answers.set(`d:${id}`, owner);
      return answers;
    });
  }

  apiKey(keyId: string): Promise<(ApiKeyRecord & { digest: string }) | undefined> {
    return this.batcher.get(`k:${keyId}`) as Promise<(ApiKeyRecord & { digest: string }) | undefined>;
  }

  owner(kind: 'license' | 'device', id: string): Promise<string | undefined> {
    return this.batcher.get(`${kind === 'license' ? 'l' : 'd'}:${id}`) as Promise<string | undefined>;
  }
}
