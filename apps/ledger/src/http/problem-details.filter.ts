import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ApplicationError } from '@ledger/application';
import { EventStoreError } from '@ledger/event-store';
import { DomainError } from '@ledger/licensing';
import { AuthenticationError, ForbiddenError } from '../auth/principal';
import { RateLimitedError } from '../auth/rate-limit';
import { PROBLEM_JSON, type ProblemDetails, problem } from './problem-details';
import { ReadModelsBehindError, RequestValidationError, UnsupportedMediaTypeError } from './request-errors';

export { problemDetailsRef, problemDetailsSchema, type ProblemDetails } from './problem-details';

const DOMAIN_STATUS = { invalid: 400, not_found: 404, conflict: 409, rule: 422 } as const;
const STORE_STATUS = { invalid: 400, not_found: 404, conflict: 409, unavailable: 503 } as const;

type Request = IncomingMessage & { originalUrl?: string; id?: unknown };

/** What to send: a problem, or (rarely) a body a controller chose on purpose. */
type Answer = { status: number; problem: ProblemDetails } | { status: number; body: object };

/**
 * One place maps every error to an RFC 9457 answer, so that clients see one
 * shape whatever raised it: the domain, the store, validation, the body parser
 * or Express. Errors nobody planned for are logged and answered with a request
 * id only, because their messages may carry SQL, paths or data of others.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<ServerResponse>();
    // No id means the request failed before pino-http saw it (the body parser runs first):
    // give it one here, so the answer and our own log line still meet.
    const early = requestIdOf(req) === undefined;
    const requestId = requestIdOf(req) ?? givenRequestId(req) ?? randomUUID();
    if (early && !res.headersSent) res.setHeader('X-Request-Id', requestId);

    const answer = this.answer(exception, req, requestId);
    if (early && answer.status < 500) {
      const code = 'problem' in answer ? answer.problem.code : undefined;
      this.logger.warn({ msg: 'request refused', requestId, method: req.method, path: pathOf(req), status: answer.status, code });
    }

    if (res.headersSent) {
      // Too late for an error body: cut the response short so the client sees it failed.
      this.logger.error({ msg: 'error after the response started', requestId, err: exception });
      res.destroy();
      return;
    }
    res.statusCode = answer.status;
    if (exception instanceof ReadModelsBehindError) res.setHeader('Retry-After', '1');
    if (exception instanceof RateLimitedError) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    // RFC 6750: say which scheme to use, and whether the credential given was the problem.
    if (exception instanceof AuthenticationError)
      res.setHeader('WWW-Authenticate', exception.code === 'CREDENTIALS_REQUIRED' ? 'Bearer realm="ledger"' : 'Bearer realm="ledger", error="invalid_token"');
    if ('problem' in answer) {
      res.setHeader('Content-Type', `${PROBLEM_JSON}; charset=utf-8`);
      res.end(JSON.stringify(answer.problem));
    } else {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(answer.body));
    }
  }

  private answer(exception: unknown, req: Request, requestId: string): Answer {
    const instance = pathOf(req);

    if (exception instanceof DomainError) {
      const status = DOMAIN_STATUS[exception.kind];
      return {
        status,
        problem: problem({
          code: exception.code,
          status,
          detail: exception.message,
          instance,
          details: exception.details,
          ...(exception.pointer !== undefined ? { errors: [{ pointer: exception.pointer, detail: exception.message }] } : {}),
        }),
      };
    }

    if (exception instanceof ApplicationError) {
      const status = DOMAIN_STATUS[exception.kind];
      return { status, problem: problem({ code: exception.code, status, detail: exception.message, instance, details: exception.details }) };
    }

    if (exception instanceof RequestValidationError) {
      return { status: 400, problem: problem({ code: exception.code, status: 400, detail: exception.message, instance, errors: exception.errors }) };
    }

    if (exception instanceof AuthenticationError) {
      return { status: 401, problem: problem({ code: exception.code, status: 401, detail: exception.message, instance }) };
    }

    if (exception instanceof ForbiddenError) {
      return { status: 403, problem: problem({ code: exception.code, status: 403, detail: exception.message, instance }) };
    }

    if (exception instanceof RateLimitedError) {
      const detail = `too many requests from this caller; retry in ${exception.retryAfterSeconds} s`;
      return { status: 429, problem: problem({ code: exception.code, status: 429, detail, instance, details: { retryAfterSeconds: exception.retryAfterSeconds } }) };
    }

    if (exception instanceof ReadModelsBehindError) {
      const details = { minPosition: exception.minPosition, positions: exception.positions };
      return { status: 503, problem: problem({ code: exception.code, status: 503, detail: exception.message, instance, details }) };
    }

    if (exception instanceof UnsupportedMediaTypeError) {
      return { status: 415, problem: problem({ code: exception.code, status: 415, detail: exception.message, instance }) };
    }

    if (exception instanceof EventStoreError) {
      const status = STORE_STATUS[exception.kind];
      // An unavailable store is our fault, and its message names hosts and folders.
      if (status === 503) return this.internal(exception, req, requestId, 503, exception.code, 'the event store is unavailable; retry later');
      return { status, problem: problem({ code: exception.code, status, detail: exception.message, instance }) };
    }

    // Express and body-parser errors arrive wrapped by Nest (cause = the original), or bare.
    const parserError = bodyParserErrorOf(exception);
    if (parserError) {
      const fromParser = this.fromBodyParser(parserError, instance);
      if (fromParser) return fromParser;
    }

    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      // An object body without Nest's own shape was chosen by the controller (e.g. the
      // health report of a 503): it is the documented answer, so it goes out unchanged.
      if (typeof response === 'object' && response !== null && !('statusCode' in response)) return { status, body: response };
      if (status === 500) return this.internal(exception, req, requestId, 500, 'INTERNAL_ERROR');
      const code = HttpStatus[status] ?? `HTTP_${status}`;
      return { status, problem: problem({ code, status, detail: messageOf(response), instance }) };
    }

    return this.internal(exception, req, requestId, 500, 'INTERNAL_ERROR');
  }

  private fromBodyParser(error: BodyParserError, instance: string): Answer | undefined {
    switch (error.type) {
      case 'entity.parse.failed':
        return { status: 400, problem: problem({ code: 'MALFORMED_JSON', status: 400, detail: `the request body is not valid JSON: ${error.message}`, instance }) };
      case 'entity.too.large': {
        const limit = typeof error.limit === 'number' ? error.limit : undefined;
        return {
          status: 413,
          problem: problem({
            code: 'PAYLOAD_TOO_LARGE',
            status: 413,
            detail: limit === undefined ? 'the request body is too large' : `the request body is larger than the limit of ${limit} bytes`,
            instance,
            ...(limit === undefined ? {} : { details: { limitBytes: limit } }),
          }),
        };
      }
      case 'charset.unsupported':
      case 'encoding.unsupported':
        return { status: 415, problem: problem({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, detail: error.message, instance }) };
      default:
        return undefined;
    }
  }

  private internal(exception: unknown, req: Request, requestId: string, status: number, code: string, summary = 'internal error'): Answer {
    this.logger.error({ msg: 'request failed', requestId, method: req.method, path: pathOf(req), status, err: exception });
    return { status, problem: problem({ code, status, detail: `${summary}, see the logs with request id ${requestId}`, instance: pathOf(req) }) };
  }
}

interface BodyParserError {
  type: string;
  message: string;
  limit?: unknown;
}

function bodyParserErrorOf(exception: unknown): BodyParserError | undefined {
  const candidate = exception instanceof HttpException ? exception.cause : exception;
  if (candidate instanceof Error && typeof (candidate as { type?: unknown }).type === 'string') return candidate as Error & BodyParserError;
  return undefined;
}

function messageOf(response: string | object): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return 'request refused';
}

/** The path without its query: queries may carry tokens, and the path names the resource. */
function pathOf(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

/** The same rule as genReqId in app.module.ts, for requests that never reached it. */
function givenRequestId(req: Request): string | undefined {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : undefined;
}

function requestIdOf(req: Request): string | undefined {
  return typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;
}
