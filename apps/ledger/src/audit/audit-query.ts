import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { z } from 'zod';
import { type RecordedEvent, parseFeedCheckpoint } from '@ledger/event-store';
import { type FieldProblem, RequestValidationError, pointerOf } from '../http/request-errors';

/** One event as the audit routes answer it: what happened, where, when, and who did it on which command. */
export interface AuditEvent {
  streamId: string;
  streamPosition: number;
  position: number;
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  /** The principal that did it: `key:<keyId>`, `jwt:<issuer>#<subject>`, or `system`. */
  actor: string | null;
  /** The account the actor acted for, when it was one below the actor's own; null when it acted for its own account. */
  onBehalfOf: string | null;
  commandId: string | null;
  correlationId: string | null;
  causationId: string | null;
  recordedAt: string;
}

export const toAuditEvent = (e: RecordedEvent): AuditEvent => ({
  streamId: e.streamId,
  streamPosition: e.streamPosition,
  position: e.globalPosition,
  eventId: e.eventId,
  type: e.type,
  data: e.data,
  actor: e.metadata.actor,
  onBehalfOf: typeof e.metadata['onBehalfOf'] === 'string' ? e.metadata['onBehalfOf'] : null,
  commandId: e.metadata.commandId,
  correlationId: e.metadata.correlationId,
  causationId: e.metadata.causationId,
  recordedAt: e.metadata.recordedAt,
});

/** A page of a stream's (or a lineage's) history. */
export interface HistoryPage {
  streamIds: string[];
  events: AuditEvent[];
  /** Pass as `after` for the next page; null when this page is empty. */
  next: number | null;
  hasMore: boolean;
}

/** A page of the global feed. */
export interface FeedPage {
  events: AuditEvent[];
  /** Opaque checkpoint `epoch.txId.position` of the last event returned (`after` again when none): pass as `after`. */
  next: string;
  hasMore: boolean;
}


const Limit = (fallback: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer from 1 to 1000')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1_000, 'must be an integer from 1 to 1000')
    .default(fallback);

export const HistoryQuery = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a global position (a non-negative integer)')
    .transform(Number)
    .default(0),
  limit: Limit(200),
});
export type HistoryQuery = z.output<typeof HistoryQuery>;

export const FeedQuery = z.strictObject({
  after: z
    .string()
    .refine((v) => parseFeedCheckpoint(v) !== null, 'must be a checkpoint epoch.txId.position (as `next` of a previous page), e.g. 0.0.0')
    .default('0.0.0'),
  limit: Limit(100),
});
export type FeedQuery = z.output<typeof FeedQuery>;

/** The query string checked against a strict zod schema; every issue is a 400 VALIDATION_FAILED with a `/query/...` pointer. */
// The schema travels wrapped: Nest would take a bare zod schema for a pipe (see zod-body.ts).
const ValidatedQuery = createParamDecorator((data: { zod: z.ZodType }, ctx: ExecutionContext) => {
  const schema = data.zod;
  const raw = ctx.switchToHttp().getRequest<{ query?: unknown }>().query ?? {};
  const result = schema.safeParse({ ...(raw as object) });
  if (result.success) return result.data;
  const problems: FieldProblem[] = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: pointerOf(['query', ...issue.path, key]), detail: 'unknown query parameter' }))
      : [{ pointer: pointerOf(['query', ...issue.path]), detail: issue.message }],
  );
  throw new RequestValidationError(problems);
});

export const ZodQuery = (schema: z.ZodType): ParameterDecorator => ValidatedQuery({ zod: schema });
