import type { INestApplication } from '@nestjs/common';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { DEFAULT_BODY_LIMIT, useJsonBodies } from './http/json-body';
import { setupOpenApi } from './openapi';

export interface HttpOptions {
  /** Largest accepted request body, in bytes (HTTP_BODY_LIMIT). */
  bodyLimit?: number;
}

/**
 * HTTP set-up shared by main.ts and the end-to-end tests, so tests run the app as deployed.
 * Call it before init() / listen(): the body parser must be in place before Nest's.
 */
export function configureHttp(app: INestApplication, options: HttpOptions = {}): void {
  // Nothing to gain from telling callers which framework answers.
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  useJsonBodies(app, options.bodyLimit ?? DEFAULT_BODY_LIMIT);
  app.useGlobalFilters(new ProblemDetailsFilter());
  setupOpenApi(app);
}
