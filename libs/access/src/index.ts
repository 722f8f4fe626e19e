export { AccessModule } from './access.module.js';
export { AccessPolicy, type AccessTarget } from './access-policy.js';
export {
  ALLOW_WITHOUT_MFA,
  AllowWithoutMfa,
  Public,
  PUBLIC_ROUTE,
  RequirePermission,
} from './decorators.js';
export { PermissionGuard } from './permission.guard.js';
export {
  type Action,
  BUG_REPORTING_ROLES,
  DEFAULT_PERMISSIONS,
  isRole,
  type Permission,
  permissionsForRole,
  type Resource,
  type Role,
  ROLES,
  type Scope,
} from './permissions.js';
export { CurrentPrincipal, type Principal, type RequestWithPrincipal } from './principal.js';
