import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { DEFAULT_BODY_LIMIT, useJsonBodies } from './http/json-body';
import { setupOpenApi } from './openapi';

export interface HttpOptions {
  /** Largest accepted request body, in bytes (HTTP_BODY_LIMIT). */
  bodyLimit?: number;
  /** Browser origins allowed to call the API (CORS_ORIGINS); none by default. */
  corsOrigins?: readonly string[];
  /** Time a client has to send a whole request (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/** The API answers JSON only: nothing it sends may load anything, or be framed. */
const apiHeaders = helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });
/** The OpenAPI page (Swagger UI) runs its own inline script and styles. */
const docsHeaders = helmet({
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] },
  },
});

/**
 * HTTP set-up shared by main.ts and the end-to-end tests, so tests run the app as deployed.
 * Call it before init() / listen(): the body parser must be in place before Nest's.
 */
export function configureHttp(app: INestApplication, options: HttpOptions = {}): void {
  // Nothing to gain from telling callers which framework answers.
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.use((req: { url?: string }, res: unknown, next: () => void) =>
    (req.url?.startsWith('/docs') ? docsHeaders : apiHeaders)(req as never, res as never, next),
  );
  if (options.corsOrigins?.length) {
    app.enableCors({
      origin: [...options.corsOrigins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Authorization', 'Idempotency-Key', 'X-Correlation-Id', 'X-Request-Id'],
      exposedHeaders: ['Idempotent-Replayed', 'Retry-After', 'X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
      maxAge: 600,
    });
  }
  const server = app.getHttpServer() as Server;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  // A client that trickles its request (slowloris) loses the connection instead of holding it.
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(requestTimeoutMs, 20_000);
  useJsonBodies(app, options.bodyLimit ?? DEFAULT_BODY_LIMIT);
  app.useGlobalFilters(new ProblemDetailsFilter());
  setupOpenApi(app);
}
