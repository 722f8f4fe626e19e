import type { IncomingMessage, ServerResponse } from 'node:http';

import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { LevelWithSilent } from 'pino';
import { pino } from 'pino';
import { type HttpLogger, pinoHttp } from 'pino-http';

import type { AppConfig } from '../config/app-config.js';
import { type RequestWithId } from '../http/request-id.js';
import { maskLogValue, maskText } from './mask.js';

interface ExpressRequestFields {
  originalUrl?: string;
  matchedRoute?: string;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Logs the request by method, path and matched route only: no headers, body or client address. */
export function serializeRequest(request: IncomingMessage & ExpressRequestFields & RequestWithId) {
  const url = request.originalUrl ?? request.url ?? '';
  return {
    id: request.id,
    method: request.method,
    path: maskText(decodePath(url.split('?')[0] ?? '')),
    route: request.matchedRoute,
  };
}

export function serializeResponse(response: ServerResponse) {
  return { statusCode: response.statusCode };
}

/** Fields that have a serializer above, which masks them; pino applies serializers after formatters. */
const SERIALIZED_FIELDS = new Set(['req', 'res', 'err']);

/**
 * Masks every field of a log line except those a serializer masks. pino hands the formatter the
 * raw request and response objects, and walking them would cost far more than the line itself.
 */
function maskLogFields(object: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (SERIALIZED_FIELDS.has(key)) {
      masked[key] = value;
    } else {
      rest[key] = value;
    }
  }
  return { ...maskLogValue(rest), ...masked };
}

/**
 * Returns true for the service's own 503, sent while it drains or a dependency is down and
 * reported by readiness. A response that carries an error of its own (`res.err`) is a failure.
 */
function isDeliberate503(response: ServerResponse): boolean {
  return (
    response.statusCode === 503 &&
    (response as ServerResponse & { err?: unknown }).err === undefined
  );
}

/** Injection token of the pino-http middleware, which the HTTP pipeline installs first. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/** Builds the request logger: one JSON line per request, masked by maskLogValue. */
export function createHttpLogger(config: AppConfig): HttpLogger {
  return pinoHttp<IncomingMessage, ServerResponse, never>(
    {
      level: config.logLevel,
      genReqId: (request) => (request as RequestWithId).id,
      wrapSerializers: false,
      serializers: {
        req: serializeRequest,
        res: serializeResponse,
        err: (error: unknown) => maskLogValue(error),
      },
      formatters: {
        log: maskLogFields,
      },
      customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
      customLogLevel: (_request, response, error): LevelWithSilent => {
        if (error !== undefined) {
          return 'error';
        }
        if (isDeliberate503(response)) {
          return 'warn';
        }
        if (response.statusCode >= 500) {
          return 'error';
        }
        return response.statusCode >= 400 ? 'warn' : 'info';
      },
      // pino-http attaches an error with a stack to every 5xx line; a deliberate 503 has none.
      customErrorObject: (_request, response, _error, line: Record<string, unknown>) => {
        if (!isDeliberate503(response)) {
          return line;
        }
        const withoutError = { ...line };
        delete withoutError['err'];
        return withoutError;
      },
      customSuccessMessage: () => 'request completed',
      customErrorMessage: (_request, response) =>
        isDeliberate503(response) ? 'request completed' : 'request failed',
      quietReqLogger: true,
    },
    // Asynchronous, so no request waits for its log line to reach the disk or the pipe; pino
    // flushes what is buffered when the process exits.
    pino.destination({ dest: config.logDestination === 'stderr' ? 2 : 1, sync: false }),
  );
}

/**
 * JSON logs through pino. The request logger runs as the first Express
 * middleware, so requests rejected before routing are logged too; Nest's own
 * logs go through the same pino instance.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const httpLogger = createHttpLogger(config);
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { logger: httpLogger.logger }, useExisting: true }),
      ],
      providers: [{ provide: HTTP_LOGGER, useValue: httpLogger }],
      exports: [LoggerModule, HTTP_LOGGER],
    };
  }
}
