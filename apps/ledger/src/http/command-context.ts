import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { canonicalJson, type JsonValue } from '@ledger/event-store';
import { type GuardedRequest, ON_BEHALF_OF } from '../auth/access.guard';
import { ForbiddenError, PRINCIPAL } from '../auth/principal';
import { type FieldProblem, RequestValidationError } from './request-errors';

/** Who asks for a command, and under which ids it is recorded (event metadata). */
export interface CommandContext {
  /** The Idempotency-Key, or a fresh UUID: a retry with the same key returns the first result. */
  commandId: string;
  /** The authenticated principal's id (AccessGuard); nothing the caller says about itself. */
  actor: string;
  /** The account acted for, when it is below the principal's own. */
  onBehalfOf?: string;
  correlationId: string;
  /** False when the id was made up here: such a command cannot be retried safely. */
  idempotencyKeyGiven: boolean;
  /**
   * What was asked (method, path, body), digested: an idempotency key reused
   * for another request is refused instead of answering the other request.
   */
  fingerprint: string;
}

/** Ids end up in event metadata, logs and URLs: a narrow charset keeps them safe in all three. */
const ID = /^[A-Za-z0-9._:-]{1,200}$/;
/** Reads the command headers; a malformed one is refused (400 INVALID_HEADER). */
export function readCommandContext(headers: IncomingHttpHeaders, requestId?: string): Omit<CommandContext, 'fingerprint' | 'actor' | 'onBehalfOf'> {
  const problems: FieldProblem[] = [];
  const key = header(headers, 'idempotency-key');
  if (key !== undefined && !ID.test(key)) {
    problems.push({ pointer: '/headers/idempotency-key', detail: 'must be 1 to 200 characters of A-Z a-z 0-9 . _ : -' });
  }
  if (problems.length > 0) throw new RequestValidationError(problems, 'INVALID_HEADER');

  // A malformed correlation id is not worth refusing a command for: it only links log lines.
  const correlation = header(headers, 'x-correlation-id');
  return {
    commandId: key ?? randomUUID(),
    correlationId: correlation !== undefined && ID.test(correlation) ? correlation : (requestId ?? randomUUID()),
    idempotencyKeyGiven: key !== undefined,
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  // Node joins repeated custom headers with ", ", which the checks refuse; an array only comes from set-cookie.
  return Array.isArray(value) ? value.join(', ') : value;
}

const CommandContextParam = createParamDecorator((_data: unknown, ctx: ExecutionContext): CommandContext => {
  const req = ctx.switchToHttp().getRequest<GuardedRequest & { id?: unknown; originalUrl: string }>();
  const principal = req[PRINCIPAL];
  // Command routes are never public (their policies say so); this refuses rather than record an anonymous actor.
  if (principal === undefined) throw new ForbiddenError('commands need an authenticated caller');
  const onBehalfOf = req[ON_BEHALF_OF];
  // req.id is set by pino-http (genReqId in app.module.ts).
  const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;
  const path = req.originalUrl.split('?')[0];
  const body = req.body === undefined ? '' : stableJson(req.body);
  const fingerprint = createHash('sha256').update(`${req.method} ${path}\n${body}`).digest('base64url');
  return { ...readCommandContext(req.headers, requestId), actor: principal.id, ...(onBehalfOf !== undefined ? { onBehalfOf } : {}), fingerprint };
});

/**
 * The body in a stable form, for the fingerprint only. A body canonical JSON
 * refuses (a lone surrogate) is the body validation's to refuse, with its
 * pointer: the fingerprint then takes it as it came.
 */
function stableJson(body: unknown): string {
  try {
    return canonicalJson(body as JsonValue);
  } catch {
    return JSON.stringify(body);
  }
}

/** `@CommandContext() ctx: CommandContext` on a command route: the ids and actor of the command, documented. */
export function CommandContext(): ParameterDecorator {
  return (target, key, index) => {
    CommandContextParam()(target, key, index);
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key !== undefined && descriptor) ApiCommandHeaders()(target, key, descriptor);
  };
}

/** The OpenAPI description of the command headers; CommandContext applies it already. */
export function ApiCommandHeaders(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Id of the command (1-200 of A-Z a-z 0-9 . _ : -). A retry with the same key returns the first result and records nothing.',
    }),
    ApiHeader({ name: 'X-Correlation-Id', required: false, description: 'Links this command to others of one flow; the request id when absent or malformed.' }),
  );
}
