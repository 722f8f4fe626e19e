import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

import type { Role } from './permissions.js';

/** The authenticated caller, built from a verified access token. */
export interface Principal {
  userId: string;
  sessionId: string;
  role: Role;
  permissions: string[];
  amr: string[];
  tokenId: string;
  tokenExpiresAt: Date;
  /** The carrier of the access token. Cookie-authenticated unsafe requests also need a CSRF token. */
  transport: 'bearer' | 'cookie';
}

export interface RequestWithPrincipal {
  user?: Principal;
}

/** Injects the authenticated caller into a route handler. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined =>
    context.switchToHttp().getRequest<RequestWithPrincipal>().user,
);
