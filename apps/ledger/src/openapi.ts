import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { PROBLEM_DETAILS_SCHEMA_NAME, problemDetailsSchema } from './http/problem-details';

/** OpenAPI document at /docs-json, rendered at /docs (swagger-ui is served locally, no CDN). */
export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Licensing ledger')
      .setDescription('Event-sourced system of record for vendor licensing: commands, queries and audit.')
      .setVersion(process.env['npm_package_version'] ?? '0.1.0')
      // Every route but /health, /metrics and /v1/signing-key needs it (docs/security.md).
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (ldg_…) or, when JWT_* is set, a JWT of that issuer' }, 'bearer')
      .addSecurityRequirements('bearer')
      .build(),
  );
  // Routes refer to it by $ref (problemDetailsRef), so client generators make one error type, not one per route.
  document.components = { ...document.components, schemas: { ...document.components?.schemas, [PROBLEM_DETAILS_SCHEMA_NAME]: problemDetailsSchema } };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
