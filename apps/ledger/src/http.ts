import type { INestApplication } from '@nestjs/common';
import { setupOpenApi } from './openapi';

/** HTTP set-up shared by main.ts and the end-to-end tests, so tests run the app as deployed. */
export function configureHttp(app: INestApplication): void {
  // Nothing to gain from telling callers which framework answers.
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  setupOpenApi(app);
}
