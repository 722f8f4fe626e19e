import { type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';

import { type Principal, PUBLIC_ROUTE } from '@codexflow/access';
import { currentRequestContext, ProblemException } from '@codexflow/core';

/** Authenticates every route not marked @Public() through the `jwt` strategy. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<TUser = Principal>(error: unknown, principal: TUser | false): TUser {
    // A check that could not run (the shared state is down) keeps its own 503.
    if (error instanceof ProblemException) {
      throw error;
    }
    if (error !== null && error !== undefined) {
      throw unauthorized();
    }
    if (principal === false || principal === null || principal === undefined) {
      throw unauthorized();
    }
    const context = currentRequestContext();
    if (context !== undefined) {
      context.userId = (principal as unknown as Principal).userId;
    }
    return principal;
  }
}

function unauthorized(): ProblemException {
  return new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'A valid access token is required: it is missing, malformed, expired or revoked',
    'about:blank',
    undefined,
    { 'WWW-Authenticate': 'Bearer realm="codexflow"' },
  );
}
