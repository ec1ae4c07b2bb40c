import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI document at /docs-json, rendered at /docs (swagger-ui is served locally, no CDN). */
export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Licensing ledger')
      .setDescription('Event-sourced system of record for vendor licensing: commands, queries and audit.')
      .setVersion(process.env['npm_package_version'] ?? '0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
