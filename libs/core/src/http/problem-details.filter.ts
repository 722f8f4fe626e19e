import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';

import {
  type FieldError,
  PROBLEM_CONTENT_TYPE,
  ProblemException,
  type ProblemDetails,
  statusTitle,
} from './problem-details.js';
import { AuditRecorder } from '../audit/audit-recorder.js';
import { auditResourceId, routeAction } from '../audit/route-action.js';
import type { RequestWithId } from './request-id.js';
import { currentRequestContext, runInContextOf } from './request-context.js';
import { routePatternOf } from './route-tag.interceptor.js';
import type { RateLimitGuard } from '../rate-limits/rate-limit.guard.js';
import { UNROUTED_REQUEST_LIMIT } from '../rate-limits/rate-limit.decorators.js';

interface Rendered {
  status: number;
  detail: string;
  type: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Errors that Express's body parser raises, keyed by their `type`. */
const BODY_PARSER_ERRORS: Record<string, (error: BodyParserError) => Rendered> = {
  'entity.parse.failed': () => badRequest('The request body is not valid JSON'),
  'entity.too.large': (error) => ({
    status: HttpStatus.PAYLOAD_TOO_LARGE,
    detail: `The request body exceeds the limit of ${error.limit ?? 'the allowed'} bytes`,
    type: 'about:blank',
  }),
  'entity.verify.failed': () => badRequest('The request body could not be verified'),
  'encoding.unsupported': () => unsupported('The request body encoding is not supported'),
  'charset.unsupported': () => unsupported('The request body must be encoded as UTF-8'),
  'request.aborted': () => badRequest('The request was aborted before its body was complete'),
  'request.size.invalid': () => badRequest('The request body length does not match Content-Length'),
  'stream.encoding.set': () => badRequest('The request body could not be read'),
};

interface BodyParserError extends Error {
  type: string;
  status?: number;
  limit?: number;
}

function badRequest(detail: string): Rendered {
  return { status: HttpStatus.BAD_REQUEST, detail, type: 'about:blank' };
}

function unsupported(detail: string): Rendered {
  return { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, detail, type: 'about:blank' };
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error &&
    typeof (error as Partial<BodyParserError>).type === 'string' &&
    BODY_PARSER_ERRORS[(error as BodyParserError).type] !== undefined
  );
}

function isDecompressionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('Z_');
}

function describeHttpException(exception: HttpException): Rendered {
  const status = exception.getStatus();

  if (exception instanceof ProblemException) {
    return {
      status,
      detail: exception.detail,
      type: exception.problemType,
      errors: exception.errors,
      headers: exception.headers,
    };
  }

  const body = exception.getResponse();
  let detail = statusTitle(status);
  if (typeof body === 'string') {
    detail = body;
  } else if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = body.message;
    detail = Array.isArray(message) ? message.join('; ') : String(message);
  }
  return { status, detail, type: 'about:blank' };
}

/** Statuses of rate-limited (429) and fail-closed (503) responses, which the audit trail skips. */
const UNRECORDED_STATUSES = new Set<number>([
  HttpStatus.TOO_MANY_REQUESTS,
  HttpStatus.SERVICE_UNAVAILABLE,
]);

function isTooManyRequests(error: unknown): error is ProblemException {
  return (
    error instanceof ProblemException &&
    error.getStatus() === (HttpStatus.TOO_MANY_REQUESTS as number)
  );
}

/**
 * Renders every error as application/problem+json. Unexpected errors become
 * a 500 whose body names only the request id, while the log keeps the whole
 * error under that id. A failed mutating route is also recorded in the audit
 * trail here, because guards reject before any interceptor runs. A request
 * that failed before routing is counted against its address's rate limit
 * here, as no guard saw it.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  constructor(
    @Optional() private readonly audit?: AuditRecorder,
    @Optional()
    @Inject(UNROUTED_REQUEST_LIMIT)
    private readonly unroutedLimit?: RateLimitGuard | null,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const limit = this.unroutedLimit;
    if (limit === undefined || limit === null) {
      this.respond(exception, host);
      return;
    }
    const request = host.switchToHttp().getRequest<Request>();
    // A 429 replaces the original error. When the count fails for another reason
    // (shared state unreachable) the original error stays, because the request is rejected anyway.
    void runInContextOf(request, () => limit.countUnrouted(host))
      .then(
        () => exception,
        (limited: unknown) => (isTooManyRequests(limited) ? limited : exception),
      )
      .then((answer) => this.respond(answer, host))
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'failed to send an error response');
      });
  }

  private respond(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<Request & Partial<RequestWithId>>();
    const response = context.getResponse<Response>();
    const rendered = this.render(exception, request.id);
    this.recordFailure(request, rendered.status);

    if (response.headersSent) {
      response.end();
      return;
    }

    const problem: ProblemDetails = {
      type: rendered.type,
      title: statusTitle(rendered.status),
      status: rendered.status,
      detail: rendered.detail,
      instance: request.originalUrl.split('?')[0] ?? '/',
      requestId: request.id ?? '',
      ...(rendered.errors ? { errors: rendered.errors } : {}),
    };

    for (const [name, value] of Object.entries(rendered.headers ?? {})) {
      response.setHeader(name, value);
    }
    if (!request.complete) {
      // The rest of the body is unread: close the connection instead of draining it.
      response.setHeader('Connection', 'close');
    }
    response.status(rendered.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  private render(exception: unknown, requestId: string | undefined): Rendered {
    // Nest wraps body-parser errors in an HttpException whose cause is the original error.
    const parserError = exception instanceof HttpException ? exception.cause : exception;
    if (isBodyParserError(parserError)) {
      return BODY_PARSER_ERRORS[parserError.type]!(parserError);
    }
    if (isDecompressionError(parserError)) {
      return badRequest('The request body could not be decompressed');
    }
    if (exception instanceof HttpException) {
      const rendered = describeHttpException(exception);
      if (rendered.status === 503) {
        // Expected while the service drains or a dependency is down, so no stack trace.
        this.logger.warn({ requestId, detail: rendered.detail }, 'service unavailable (503)');
      } else if (rendered.status >= 500) {
        this.logger.error({ err: exception, requestId }, 'request failed with a server error');
      }
      return rendered;
    }
    this.logger.error({ err: exception, requestId }, 'unexpected error while handling a request');
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      detail: 'An unexpected error occurred. Quote the requestId when you report it.',
      type: 'about:blank',
    };
  }

  /**
   * Records the failure of a mutating route unless the service already recorded the request.
   * Requests turned away by a rate limit (429) or while a shared check cannot run (503) write
   * nothing: a flood must not buy database writes, and the metrics count them instead.
   */
  private recordFailure(request: Request, status: number): void {
    const named = routeAction(request.method, routePatternOf(request));
    if (
      this.audit === undefined ||
      named === undefined ||
      UNRECORDED_STATUSES.has(status) ||
      currentRequestContext()?.audited
    ) {
      return;
    }
    const parameter = named.idParameter === null ? undefined : request.params[named.idParameter];
    // The recorder logs and counts its own write failures, so an error page never waits on them.
    void this.audit
      .record({
        action: named.action,
        resource: named.resource,
        resourceId: auditResourceId(parameter),
        result: 'failure',
        details: { status },
      })
      .catch(() => undefined);
  }
}
