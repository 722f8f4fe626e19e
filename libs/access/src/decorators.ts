import { SetMetadata } from '@nestjs/common';

import type { Action, Resource } from './permissions.js';

export const PUBLIC_ROUTE = 'codexflow:public-route';
export const ALLOW_WITHOUT_MFA = 'codexflow:allow-without-mfa';
export const REQUIRED_PERMISSION = 'codexflow:required-permission';

/** Marks a route that anyone may call without credentials. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export interface RequiredPermission {
  resource: Resource;
  action: Action;
}

/**
 * Declares what a route needs. The permission guard rejects callers that lack
 * the action at every scope; the service then decides the scope on the loaded
 * resource through AccessPolicy.
 */
export const RequirePermission = (resource: Resource, action: Action) =>
  SetMetadata(REQUIRED_PERMISSION, { resource, action } satisfies RequiredPermission);

/**
 * Marks a route that an admin may call before signing in with a second
 * factor: reading their profile, enrolling MFA, step-up challenges, sessions
 * and logout. Every other route needs `mfa` in an admin's `amr`.
 */
export const AllowWithoutMfa = () => SetMetadata(ALLOW_WITHOUT_MFA, true);
