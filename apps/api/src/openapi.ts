import { HttpStatus } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';

import { type AppConfig, DOCS_CONTENT_SECURITY_POLICY, ProblemException } from '@codexflow/core';

/**
 * The files the documentation page needs; the rest of the swagger-ui-dist
 * folder (package.json, source maps, the demo initializer) stays private.
 */
const DOCS_FILES = new Set([
  '/',
  '/openapi.json',
  '/swagger-ui.css',
  '/swagger-ui-bundle.js',
  '/swagger-ui-standalone-preset.js',
  '/swagger-ui-init.js',
  '/index.css',
  '/favicon-32x32.png',
  '/favicon-16x16.png',
]);

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

  app.use('/docs', (request: Request, response: Response, next: NextFunction) => {
    if (!DOCS_FILES.has(request.path)) {
      next(new ProblemException(HttpStatus.NOT_FOUND, 'Not found'));
      return;
    }
    response.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
    next();
  });
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
    customSiteTitle: 'CodexFlow API',
  });
}
