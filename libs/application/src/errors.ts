/**
 * Refusals of the application layer, shaped like the domain's (a stable
 * `code` and a `kind` the HTTP layer maps to a status).
 */
export class ApplicationError extends Error {
  constructor(
    readonly code: 'IDEMPOTENCY_KEY_REUSED' | 'CONCURRENCY_RETRIES_EXHAUSTED',
    readonly kind: 'conflict' | 'rule',
    message: string,
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'ApplicationError';
  }
}
