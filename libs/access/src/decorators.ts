import { SetMetadata } from '@nestjs/common';

import type { Action, Resource } from './permissions.js';

export const PUBLIC_ROUTE = 'codexflow:public-route';
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
