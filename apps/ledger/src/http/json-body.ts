import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { RequestValidationError, UnsupportedMediaTypeError } from './request-errors';

export const DEFAULT_BODY_LIMIT = 1_048_576;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** `application/json` or any `application/<something>+json` (RFC 6839), parameters ignored. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

/**
 * Installs the only body parser of the app: JSON up to `limit` bytes, behind a
 * guard that refuses any other body with 415. Without the guard a form or text
 * body would be silently ignored (req.body undefined) and reported as a missing
 * body, which sends a client looking for the wrong mistake.
 *
 * Nest installs its own JSON parser (100 kB) at init unless one named
 * `jsonParser` is already in place, so calling this before init() is enough for
 * every app, including test apps created without `bodyParser: false`.
 */
export function useJsonBodies(app: INestApplication, limit: number): void {
  app.use(requireJsonBody);
  (app as NestExpressApplication).useBodyParser('json', { limit, type: (req: IncomingMessage) => isJsonMediaType(req.headers['content-type']) });
  app.use(refuseDeepBodies);
}

/** No command nests its input beyond a few levels; far deeper JSON only serves to exhaust recursive code. */
export const MAX_BODY_DEPTH = 32;

function refuseDeepBodies(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: (error?: unknown) => void): void {
  if (depthExceeds(req.body, MAX_BODY_DEPTH))
    next(new RequestValidationError([{ pointer: '', detail: `must not nest arrays and objects deeper than ${MAX_BODY_DEPTH} levels` }]));
  else next();
}

/** Iterative, so that the check itself cannot overflow the stack it protects. */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

function requireJsonBody(req: IncomingMessage, _res: ServerResponse, next: (error?: unknown) => void): void {
  if (METHODS_WITH_BODY.has(req.method ?? '') && hasBody(req) && !isJsonMediaType(req.headers['content-type'])) {
    // The header is the client's own text, but keep an absurd one out of the answer and the logs.
    next(new UnsupportedMediaTypeError(req.headers['content-type']?.slice(0, 100)));
    return;
  }
  next();
}

/** A declared empty body (Content-Length: 0) is no body: it is the schema's business, not a media type's. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
