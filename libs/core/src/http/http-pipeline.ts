import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { HttpLogger } from 'pino-http';

import type { AppConfig } from '../config/app-config.js';
import { HTTP_LOGGER } from '../logging/logging.module.js';
import { HttpTraffic } from './http-traffic.js';
import { MULTIPART_TYPE, multipartBodyCap } from './multipart.js';
import { ProblemException } from './problem-details.js';
import { requestContextMiddleware } from './request-context.js';
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

/**
 * Rejects, before reading them, request bodies that are neither JSON nor
 * multipart (415) and bodies whose declared length is over their limit (413).
 * Multipart bodies go on only to routes marked with @AcceptsMultipart(); the
 * MultipartRouteInterceptor turns them away from the others.
 */
function checkBodyHeaders(jsonLimitBytes: number, attachmentLimitBytes: number) {
  const multipartCap = multipartBodyCap(attachmentLimitBytes);
  return (request: Request, _response: Response, next: NextFunction): void => {
    if (!METHODS_WITH_BODY.has(request.method) || !hasBody(request)) {
      next();
      return;
    }
    const multipart = typeof request.is(MULTIPART_TYPE) === 'string';
    if (!multipart && !request.is(JSON_TYPES)) {
      next(
        new ProblemException(
          415,
          'The request body must be application/json, or multipart/form-data on upload routes',
        ),
      );
      return;
    }
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (multipart && declaredLength > multipartCap) {
      next(
        new ProblemException(413, `The upload exceeds the limit of ${attachmentLimitBytes} bytes`),
      );
      return;
    }
    if (!multipart && declaredLength > jsonLimitBytes) {
      next(
        new ProblemException(413, `The request body exceeds the limit of ${jsonLimitBytes} bytes`),
      );
      return;
    }
    next();
  };
}

/**
 * Rejects an Expect header other than 100-continue with 417. Node would
 * respond to such requests itself before any middleware ran, so they would
 * escape the request log, the security headers and the address limit.
 */
function rejectUnsupportedExpectations(
  request: Request,
  _response: Response,
  next: NextFunction,
): void {
  const expectation = request.headers.expect;
  if (expectation !== undefined && expectation.toLowerCase() !== '100-continue') {
    next(new ProblemException(417, 'The only supported expectation is "Expect: 100-continue"'));
    return;
  }
  next();
}

/**
 * Rejects an HTTP/1.1 request without a Host header with 400, which HTTP/1.1
 * requires. Node's own check would send a bare 400 before any middleware
 * ran, so the server hands such requests to the app instead.
 */
function requireHostHeader(request: Request, _response: Response, next: NextFunction): void {
  if (request.httpVersion === '1.1' && request.headers.host === undefined) {
    next(new ProblemException(400, 'The Host header is missing'));
    return;
  }
  next();
}

/**
 * Installs the Express layer that runs before Nest's guards: request id,
 * security headers, CORS, cookies and the JSON body parser with its limit.
 */
export function configureHttpPipeline(
  app: NestExpressApplication,
  config: AppConfig,
  parts: { helmet: boolean } = { helmet: true },
): void {
  const allowedOrigins = new Set(config.http.corsOrigins);

  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  // With a listener, Node hands requests with an unknown Expect to the app instead of responding 417.
  const server = app.getHttpServer();
  server.on('checkExpectation', app.getHttpAdapter().getInstance());
  // A server option that Node reads per request; its type lists it only among the options.
  (server as typeof server & { requireHostHeader: boolean }).requireHostHeader = false;
  app.use(requestIdMiddleware);
  app.use(app.get<HttpLogger>(HTTP_LOGGER));
  if (parts.helmet) {
    app.use(
      helmet({
        contentSecurityPolicy: { useDefaults: false, directives: API_CONTENT_SECURITY_POLICY },
        strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true, preload: true },
        frameguard: { action: 'deny' },
        referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      }),
    );
  }
  // After helmet, so a request a gate stops still gets the security headers.
  app.use(app.get(HttpTraffic).middleware());
  // Responses differ by Origin whether or not it is allowed, so caches must key on it.
  app.use((_request: Request, response: Response, next: NextFunction) => {
    response.vary('Origin');
    next();
  });
  app.enableCors({
    origin: (origin, callback) =>
      callback(null, origin !== undefined && allowedOrigins.has(origin)),
    credentials: true,
    exposedHeaders: [
      REQUEST_ID_HEADER,
      'ETag',
      'Retry-After',
      'Content-Disposition',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'RateLimit-Policy',
    ],
    maxAge: 600,
  });
  app.use(cookieParser());
  app.use(requireHostHeader);
  app.use(rejectUnsupportedExpectations);
  app.use(checkBodyHeaders(config.http.jsonBodyLimitBytes, config.http.attachmentLimitBytes));
  app.useBodyParser('json', { limit: config.http.jsonBodyLimitBytes, type: JSON_TYPES });
  app.use(requestContextMiddleware);
}
