import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

export interface RequestWithRoute {
  matchedRoute?: string;
}

/**
 * Returns the route pattern of the request: the one the route tag recorded, or
 * the one Express matched when a guard rejected the request before any
 * interceptor could record it. Wildcard patterns are Nest's catch-all routes
 * that return 404 for unknown paths, so they count as no route.
 */
export function routePatternOf(request: Request): string | null {
  const tagged = (request as Request & RequestWithRoute).matchedRoute;
  if (tagged !== undefined) {
    return tagged;
  }
  const matched = (request.route as { path?: unknown } | undefined)?.path;
  return typeof matched === 'string' && !matched.includes('*') ? matched : null;
}

/** Records the matched route pattern on the request, so the request log names it. */
@Injectable()
export class RouteTagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & RequestWithRoute>();
    const routePath = (request.route as { path?: string } | undefined)?.path;
    if (routePath !== undefined) {
      request.matchedRoute = routePath;
    }
    return next.handle();
  }
}
