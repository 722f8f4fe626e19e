import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';

import {
  AuditRecorder,
  auditResourceId,
  currentRequestContext,
  routeAction,
  routePatternOf,
} from '@codexflow/core';

/**
 * Records the success of every mutating route; failures are recorded by the
 * exception filter. A request whose service already wrote a richer event
 * (a role change, a login) gets no second, generic one.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditRecorder) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const named = routeAction(request.method, routePatternOf(request));
    if (named === undefined) {
      return next.handle();
    }
    return next.handle().pipe(
      mergeMap((body: unknown) => {
        if (currentRequestContext()?.audited) {
          return from([body]);
        }
        const parameter =
          named.idParameter === null ? undefined : request.params[named.idParameter];
        const createdId = (body as { id?: unknown } | null | undefined)?.id;
        const resourceId = auditResourceId(parameter) ?? auditResourceId(createdId);
        return from(
          this.audit
            .record({
              action: named.action,
              resource: named.resource,
              resourceId,
              result: 'success',
            })
            .then(() => body),
        );
      }),
    );
  }
}
