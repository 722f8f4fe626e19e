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
