import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { ALLOW_WITHOUT_MFA, type RequestWithPrincipal } from '@codexflow/access';
import { ProblemException } from '@codexflow/core';

/** Rejects admins whose token lacks `mfa` in `amr`, except on routes marked @AllowWithoutMfa(). */
@Injectable()
export class MfaEnforcementGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().user;
    if (principal?.role !== 'admin' || principal.amr.includes('mfa')) {
      return true;
    }

    const allowed = this.reflector.getAllAndOverride<boolean>(ALLOW_WITHOUT_MFA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (allowed) {
      return true;
    }
    throw new ProblemException(
      HttpStatus.FORBIDDEN,
      'MFA is required for admins: enrol a second factor, then sign in with it',
    );
  }
}
