import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';

import { type AppConfig, DOCS_CONTENT_SECURITY_POLICY } from '@codexflow/core';

/** Serves the OpenAPI 3 document at /docs/openapi.json and its viewer at /docs. */
export function setupOpenApi(app: NestExpressApplication, config: AppConfig): void {
  if (!config.docsEnabled) {
    return;
  }

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('CodexFlow API')
      .setDescription(
        'Security-first project and task management. Errors are application/problem+json.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addCookieAuth('cf_access')
      .build(),
  );

  app.use('/docs', (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
    next();
  });
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
    customSiteTitle: 'CodexFlow API',
  });
}
