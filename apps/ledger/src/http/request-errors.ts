/**
 * Refusals of the HTTP layer itself, before a command reaches the domain.
 * Their codes are stable (clients match on them); docs/http.md lists them.
 */

/** One offending part of a request: a JSON pointer (RFC 6901) into it, and what is wrong there. */
export interface FieldProblem {
  /** Into the body (`/lines/0/quantity`, `""` for the whole body) or a header (`/headers/idempotency-key`). */
  pointer: string;
  detail: string;
}

export type RequestErrorCode = 'VALIDATION_FAILED' | 'INVALID_HEADER';

/** The request is malformed (400): every problem found, so a client fixes them in one go. */
export class RequestValidationError extends Error {
  constructor(
    readonly errors: readonly FieldProblem[],
    readonly code: RequestErrorCode = 'VALIDATION_FAILED',
    message = summarize(errors),
  ) {
    super(message);
    this.name = 'RequestValidationError';
  }
}

/** A body that is not JSON (415); raised before any parser reads it. */
export class UnsupportedMediaTypeError extends Error {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';

  constructor(readonly contentType: string | undefined) {
    super(
      contentType
        ? `the request body is ${contentType}; send application/json (or a +json type)`
        : 'the request body has no Content-Type; send application/json (or a +json type)',
    );
    this.name = 'UnsupportedMediaTypeError';
  }
}

function summarize(errors: readonly FieldProblem[]): string {
  const first = errors[0];
  if (!first) return 'the request is invalid';
  const where = first.pointer === '' ? 'the body' : first.pointer;
  return errors.length === 1 ? `${where}: ${first.detail}` : `${where}: ${first.detail} (and ${errors.length - 1} more)`;
}

/** Escapes one path segment for a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function pointerOf(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** A query's minPosition was not reached by the read models in time (503, retry shortly). */
export class ReadModelsBehindError extends Error {
  readonly code = 'READ_MODELS_BEHIND';

  constructor(
    readonly minPosition: number,
    readonly waitedMs: number,
    readonly positions: Record<string, number>,
  ) {
    super(`the read models have not reached position ${minPosition} within ${waitedMs} ms; retry shortly`);
    this.name = 'ReadModelsBehindError';
  }
}
