import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { ProblemException } from '@codexflow/core';

import { AccessPolicy } from './access-policy.js';
import { PUBLIC_ROUTE, REQUIRED_PERMISSION, type RequiredPermission } from './decorators.js';
import type { RequestWithPrincipal } from './principal.js';

/**
 * Rejects signed-in callers that hold a route's required action at no scope.
 * Routes without @RequirePermission are open to every signed-in caller.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: AccessPolicy,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) {
      return true;
    }

    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().user;
    if (principal === undefined) {
      throw new ProblemException(HttpStatus.UNAUTHORIZED, 'Authentication is required');
    }

    const required = this.reflector.getAllAndOverride<RequiredPermission | undefined>(
      REQUIRED_PERMISSION,
      targets,
    );
    if (required === undefined) {
      return true;
    }
    if (this.policy.widestScope(principal, required.resource, required.action) === undefined) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        `Your role does not allow ${required.action} on ${required.resource}`,
      );
    }
    return true;
  }
}
