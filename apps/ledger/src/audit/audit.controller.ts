import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags, type SchemaObject } from '@nestjs/swagger';
import { EVENT_STORE, VENDOR_ACCOUNT } from '@ledger/application';
import { type EventStore, type RecordedEvent, formatFeedCheckpoint, parseFeedCheckpoint } from '@ledger/event-store';
import { DomainError, type DomainErrorCode } from '@ledger/licensing';
import { CurrentPrincipal } from '../auth/current-principal';
import type { Principal } from '../auth/principal';
import { ScopeResolver } from '../auth/scope.resolver';
import { IdParam } from '../commands/id-param';
import { problemDetailsRef } from '../http/problem-details';
import {
  type AuditEvent,
  type FeedPage,
  FeedQuery,
  type HistoryPage,
  HistoryQuery,
  ZodQuery,
  toAuditEvent,
} from './audit-query';
import { account, device, GLOBAL_READERS, license, param, Policy, READERS } from '../auth/policy';

const problem = { 'application/problem+json': { schema: problemDetailsRef } };

/** A lineage longer than this is not a license's history but a bug: refuse to walk on. */
const MAX_LINEAGE = 10_000;

const auditEventSchema: SchemaObject = {
  type: 'object',
  required: ['streamId', 'streamPosition', 'position', 'eventId', 'type', 'data', 'actor', 'onBehalfOf', 'commandId', 'correlationId', 'causationId', 'recordedAt'],
  properties: {
    streamId: { type: 'string', example: 'license-0190f5c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f' },
    streamPosition: { type: 'integer', description: 'Position in its stream, from 1' },
    position: { type: 'integer', description: 'Global position in the event log' },
    eventId: { type: 'string', format: 'uuid' },
    type: { type: 'string', example: 'LicenseIssued' },
    data: { type: 'object', additionalProperties: true },
    actor: {
      type: 'string',
      nullable: true,
      example: 'key:k7m2q9x4c8vb',
      description: 'The authenticated principal that sent the command: `key:<keyId>` (an API key) or `jwt:<issuer>#<subject>` (a bearer token); `system` for what the ledger records itself',
    },
    onBehalfOf: {
      type: 'string',
      format: 'uuid',
      nullable: true,
      description: "The account the actor acted for, when it was one below the actor's own account (a partner for its customer); null when the actor acted for its own account",
    },
    commandId: { type: 'string', nullable: true, description: 'Idempotency-Key (or generated id) of the command' },
    correlationId: { type: 'string', nullable: true },
    causationId: { type: 'string', nullable: true },
    recordedAt: { type: 'string', format: 'date-time' },
  },
};
const historySchema: SchemaObject = {
  type: 'object',
  required: ['streamIds', 'events', 'next', 'hasMore'],
  properties: {
    streamIds: { type: 'array', items: { type: 'string' }, description: 'The streams read (a license: its whole lineage, oldest first)' },
    events: { type: 'array', items: auditEventSchema, description: 'In global position order' },
    next: { type: 'integer', nullable: true, description: 'Pass as `after` for the next page (null: this page is empty)' },
    hasMore: { type: 'boolean' },
  },
};
const feedSchema: SchemaObject = {
  type: 'object',
  required: ['events', 'next', 'hasMore'],
  properties: {
    events: { type: 'array', items: auditEventSchema, description: 'In feed order (commit order)' },
    next: { type: 'string', example: '0.1234.5678', description: 'Opaque checkpoint of the last event returned (`after` again when none): pass it as `after`' },
    hasMore: { type: 'boolean', description: 'More events were committed already: ask again at once' },
  },
};

const historyQueryDocs = [
  ApiQuery({ name: 'after', required: false, schema: { type: 'integer', minimum: 0, default: 0 }, description: 'Only events after this global position (`next` of the previous page)' }),
  ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } }),
];
const HistoryDocs = (summary: string, notFound: DomainErrorCode): MethodDecorator => (target, key, descriptor) => {
  for (const d of [
    ApiOperation({ summary, description: 'Straight from the event store (no read model, so no lag). Each event with the actor (and on whose behalf), command, correlation and causation of the command that recorded it.' }),
    ApiParam({ name: 'id', format: 'uuid' }),
    ...historyQueryDocs,
    ApiOkResponse({ schema: historySchema }),
    ApiBadRequestResponse({ description: 'A malformed id or query parameter (VALIDATION_FAILED)', content: problem }),
    ApiNotFoundResponse({ description: `No such stream (${notFound})`, content: problem }),
  ])
    d(target, key, descriptor);
};

/**
 * Audit: what happened to a license, a device or an account, by whom, on
 * which command; and the whole event log as a feed for external consumers.
 * Read from the event store itself, never from a read model.
 */
@ApiTags('audit')
@Controller('v1')
export class AuditController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(VENDOR_ACCOUNT) private readonly vendor: { accountId: string },
    private readonly scope: ScopeResolver,
  ) {}

  @Get('licenses/:id/history')
  @Policy({ roles: READERS, targets: [license(param())] })
  @HistoryDocs(
    "A license's lineage: its predecessors (LicenseIssued.predecessorId) and successors (LicenseSuperseded.successorId), every event merged in global position order",
    'LICENSE_NOT_FOUND',
  )
  async licenseHistory(@IdParam() id: string, @ZodQuery(HistoryQuery) query: HistoryQuery, @CurrentPrincipal() principal: Principal): Promise<HistoryPage> {
    const lineage = await this.lineage(id);
    // The licenses a hand-off led to other accounts stay out of a scoped caller's history (their owner's, not its own).
    const ownerOf = (s: { events: RecordedEvent[] }) => String(s.events[0]?.data['ownerId'] ?? '');
    const visible = await this.scope.within(principal, this.vendor.accountId, lineage.map(ownerOf));
    const streams = lineage.filter((s) => visible.has(ownerOf(s)));
    const events = streams.flatMap((s) => s.events).sort((a, b) => a.globalPosition - b.globalPosition);
    return page(streams.map((s) => s.streamId), events, query);
  }

  @Get('devices/:id/history')
  @Policy({ roles: READERS, targets: [device(param())] })
  @HistoryDocs("A device's stream: registration, bindings, revocations", 'DEVICE_NOT_FOUND')
  deviceHistory(@IdParam() id: string, @ZodQuery(HistoryQuery) query: HistoryQuery): Promise<HistoryPage> {
    return this.streamHistory(`device-${id}`, 'DEVICE_NOT_FOUND', `device ${id} does not exist`, query);
  }

  @Get('accounts/:id/history')
  @Policy({ roles: READERS, targets: [account(param())] })
  @HistoryDocs("An account's stream: opening, links, MSP portal", 'ACCOUNT_NOT_FOUND')
  accountHistory(@IdParam() id: string, @ZodQuery(HistoryQuery) query: HistoryQuery): Promise<HistoryPage> {
    return this.streamHistory(`account-${id}`, 'ACCOUNT_NOT_FOUND', `account ${id} does not exist`, query);
  }

  @Get('events')
  // Every tenant's events in one feed: for vendor staff and auditors only.
  @Policy({ roles: GLOBAL_READERS })
  @ApiOperation({
    summary: 'The global event log, in commit order, for external consumers',
    description:
      'Start without `after` (the beginning), then pass the `next` of each page as `after`. `next` is an opaque checkpoint (`epoch.txId.position`); never build one from a position alone: ' +
      'positions are drawn before commit, so ordering by them would skip late commits. A page never holds back an event that an earlier page could still miss.',
  })
  @ApiQuery({ name: 'after', required: false, schema: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$', default: '0.0.0' }, description: '`next` of the previous page' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } })
  @ApiOkResponse({ schema: feedSchema })
  @ApiBadRequestResponse({ description: 'A malformed `after` or `limit` (VALIDATION_FAILED)', content: problem })
  async feed(@ZodQuery(FeedQuery) query: FeedQuery): Promise<FeedPage> {
    const after = parseFeedCheckpoint(query.after)!;
    const read = await this.store.readFeed({ after, limit: query.limit + 1 });
    const events = read.events.slice(0, query.limit);
    const last = events[events.length - 1];
    return {
      events: events.map(toAuditEvent),
      next: formatFeedCheckpoint(last ? { epoch: last.epoch, txId: last.txId, position: last.globalPosition } : after),
      hasMore: read.events.length > query.limit,
    };
  }

  private async streamHistory(streamId: string, code: DomainErrorCode, message: string, query: HistoryQuery): Promise<HistoryPage> {
    const read = await this.store.readStream(streamId);
    if (read.version === 0) throw new DomainError(code, message, {});
    return page([streamId], read.events, query);
  }

  /** Breadth-first over predecessors and successors; every stream read once. */
  private async lineage(licenseId: string): Promise<{ streamId: string; events: RecordedEvent[] }[]> {
    const seen = new Set<string>([licenseId]);
    const found: { streamId: string; events: RecordedEvent[] }[] = [];
    let wave = [licenseId];
    while (wave.length > 0) {
      const reads = await this.store.readStreams(wave.map((id) => `license-${id}`));
      const nextWave: string[] = [];
      for (const read of reads) {
        if (read.version === 0) {
          if (read.streamId === `license-${licenseId}`) throw new DomainError('LICENSE_NOT_FOUND', `license ${licenseId} does not exist`, { licenseId });
          continue;
        }
        found.push({ streamId: read.streamId, events: read.events });
        for (const e of read.events) {
          const linked = e.type === 'LicenseIssued' ? e.data['predecessorId'] : e.type === 'LicenseSuperseded' ? e.data['successorId'] : null;
          if (typeof linked === 'string' && !seen.has(linked) && seen.size < MAX_LINEAGE) {
            seen.add(linked);
            nextWave.push(linked);
          }
        }
      }
      wave = nextWave;
    }
    // Oldest stream first.
    return found.sort((a, b) => (a.events[0]?.globalPosition ?? 0) - (b.events[0]?.globalPosition ?? 0));
  }
}

function page(streamIds: string[], events: readonly RecordedEvent[], query: HistoryQuery): HistoryPage {
  const after = events.filter((e) => e.globalPosition > query.after);
  const shown = after.slice(0, query.limit).map(toAuditEvent);
  const last: AuditEvent | undefined = shown[shown.length - 1];
  return { streamIds, events: shown, next: last ? last.position : null, hasMore: after.length > query.limit };
}
