import type { IncomingMessage, ServerResponse } from 'node:http';

import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

import type { AppConfig } from '../config/app-config.js';
import { type RequestWithId } from '../http/request-id.js';
import { maskLogValue, maskText } from './mask.js';

interface ExpressRequestFields {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: string };
}

/** Logs the request by method, path and matched route only: no headers, body or client address. */
export function serializeRequest(request: IncomingMessage & ExpressRequestFields & RequestWithId) {
  const url = request.originalUrl ?? request.url ?? '';
  const routePath = request.route?.path;
  return {
    id: request.id,
    method: request.method,
    path: maskText(url.split('?')[0] ?? ''),
    route: routePath === undefined ? undefined : `${request.baseUrl ?? ''}${routePath}`,
  };
}

export function serializeResponse(response: ServerResponse) {
  return { statusCode: response.statusCode };
}

/** JSON logs through pino, one line per request, masked by maskLogValue. */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (request) => (request as RequestWithId).id,
            wrapSerializers: false,
            serializers: {
              req: serializeRequest,
              res: serializeResponse,
              err: (error: unknown) => maskLogValue(error),
            },
            formatters: {
              log: (object) => maskLogValue(object),
            },
            customAttributeKeys: { responseTime: 'durationMs' },
            customLogLevel: (_request, response, error) => {
              if (error !== undefined || response.statusCode >= 500) {
                return 'error';
              }
              return response.statusCode >= 400 ? 'warn' : 'info';
            },
            customSuccessMessage: () => 'request completed',
            customErrorMessage: () => 'request failed',
            quietReqLogger: true,
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
