import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

import type { AppConfig } from '../config/app-config.js';
import { ProblemException } from './problem-details.js';
import { REQUEST_ID_HEADER, requestIdMiddleware } from './request-id.js';

const API_CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

/** The API documentation page loads its own scripts, styles and images. */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPES = ['application/json', 'application/*+json'];

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

/** Rejects request bodies that are not JSON with 415 before they are parsed. */
function requireJsonBody(request: Request, _response: Response, next: NextFunction): void {
  if (METHODS_WITH_BODY.has(request.method) && hasBody(request) && !request.is(JSON_TYPES)) {
    next(new ProblemException(415, 'The request body must be sent as application/json'));
    return;
  }
  next();
}

/**
 * Installs the Express layer that runs before Nest's guards: request id,
 * security headers, CORS, cookies and the JSON body parser with its limit.
 */
export function configureHttpPipeline(app: NestExpressApplication, config: AppConfig): void {
  const allowedOrigins = new Set(config.http.corsOrigins);

  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  app.use(requestIdMiddleware);
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: API_CONTENT_SECURITY_POLICY },
      strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true, preload: true },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    }),
  );
  app.enableCors({
    origin: (origin, callback) =>
      callback(null, origin !== undefined && allowedOrigins.has(origin)),
    credentials: true,
    exposedHeaders: [REQUEST_ID_HEADER, 'ETag', 'Retry-After', 'Content-Disposition'],
    maxAge: 600,
  });
  app.use(cookieParser());
  app.use(requireJsonBody);
  app.useBodyParser('json', { limit: config.http.jsonBodyLimitBytes, type: JSON_TYPES });
}
