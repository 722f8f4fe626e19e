import { Injectable } from '@nestjs/common';

import { type Action, type Resource, type Scope } from './permissions.js';
import type { Principal } from './principal.js';

const SCOPE_REACH: Record<Scope, number> = { self: 0, own: 1, team: 2, all: 3 };

/** Facts about one loaded resource that decide whether a scope covers it. */
export interface AccessTarget {
  /** The resource is the caller's own account. */
  isSelf?: boolean;
  /** The caller created the resource or is assigned to it. */
  isOwn?: boolean;
  /** The resource belongs to a project the caller is a member of. */
  isTeam?: boolean;
}

/** The one place that decides `self`, `own`, `team` and `all` on loaded resources. */
@Injectable()
export class AccessPolicy {
  /** Returns the widest scope at which the caller may perform the action, if any. */
  widestScope(principal: Principal, resource: Resource, action: Action): Scope | undefined {
    const prefix = `${resource}:${action}:`;
    let widest: Scope | undefined;

    for (const permission of principal.permissions) {
      if (!permission.startsWith(prefix)) {
        continue;
      }
      const scope = permission.slice(prefix.length) as Scope;
      if (
        SCOPE_REACH[scope] !== undefined &&
        (widest === undefined || SCOPE_REACH[scope] > SCOPE_REACH[widest])
      ) {
        widest = scope;
      }
    }
    return widest;
  }

  can(principal: Principal, resource: Resource, action: Action, target: AccessTarget): boolean {
    const prefix = `${resource}:${action}:`;

    return principal.permissions.some((permission) => {
      if (!permission.startsWith(prefix)) {
        return false;
      }
      switch (permission.slice(prefix.length) as Scope) {
        case 'all':
          return true;
        case 'team':
          return target.isTeam === true;
        case 'own':
          return target.isOwn === true;
        case 'self':
          return target.isSelf === true;
        default:
          return false;
      }
    });
  }
}
