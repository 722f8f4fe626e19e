/** Roles in order of decreasing reach. New accounts get `viewer`. */
export const ROLES = ['admin', 'manager', 'developer', 'designer', 'qa', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const RESOURCES = [
  'projects',
  'tasks',
  'comments',
  'attachments',
  'users',
  'analytics',
  'audit',
  /** Security administration, such as the IP block list; admins only. */
  'security',
] as const;
export type Resource = (typeof RESOURCES)[number];

export type Action = 'create' | 'read' | 'update' | 'delete';

/**
 * How far a permission reaches: `self` the caller's own account, `own` what
 * the caller created or is assigned, `team` the projects the caller is a
 * member of, `all` everything.
 */
export type Scope = 'self' | 'own' | 'team' | 'all';

export interface Permission {
  resource: Resource;
  action: Action;
  scope: Scope;
}

const CRUD: Action[] = ['create', 'read', 'update', 'delete'];

function grant(resource: Resource, actions: Action[], scope: Scope): Permission[] {
  return actions.map((action) => ({ resource, action, scope }));
}

const TEAM_MEMBER_BASE: Permission[] = [
  ...grant('projects', ['read'], 'team'),
  ...grant('tasks', ['create', 'read'], 'team'),
  ...grant('tasks', ['update', 'delete'], 'own'),
  ...grant('comments', ['create', 'read'], 'team'),
  // Authors delete their own comments.
  ...grant('comments', ['delete'], 'own'),
  ...grant('attachments', ['read'], 'team'),
  ...grant('users', ['read'], 'self'),
];

/**
 * The default permission matrix, the one place that decides what each role may
 * do. A new domain module adds its resource to RESOURCES and its grants here.
 */
export const DEFAULT_PERMISSIONS: Record<Role, Permission[]> = {
  admin: [
    ...RESOURCES.filter((resource) => resource !== 'analytics' && resource !== 'audit').flatMap(
      (resource) => grant(resource, CRUD, 'all'),
    ),
    ...grant('analytics', ['read'], 'all'),
    ...grant('audit', ['read'], 'all'),
  ],
  manager: [
    ...grant('projects', ['create', 'read', 'update'], 'all'),
    ...grant('tasks', ['read'], 'all'),
    ...grant('tasks', ['create', 'update'], 'team'),
    ...grant('comments', ['create', 'read', 'delete'], 'team'),
    ...grant('attachments', ['create', 'read'], 'team'),
    ...grant('users', ['read'], 'all'),
    ...grant('analytics', ['read'], 'all'),
  ],
  developer: TEAM_MEMBER_BASE,
  designer: [...TEAM_MEMBER_BASE, ...grant('attachments', ['create'], 'team')],
  qa: TEAM_MEMBER_BASE,
  viewer: [
    ...grant('projects', ['read'], 'team'),
    ...grant('tasks', ['read'], 'team'),
    ...grant('comments', ['read'], 'team'),
    ...grant('attachments', ['read'], 'team'),
    ...grant('users', ['read'], 'self'),
  ],
};

/** Encodes a permission as carried in access tokens: `resource:action:scope`. */
export function formatPermission(permission: Permission): string {
  return `${permission.resource}:${permission.action}:${permission.scope}`;
}

export function permissionsForRole(role: Role): string[] {
  return DEFAULT_PERMISSIONS[role].map(formatPermission);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Roles that may create tasks of type `bug`. */
export const BUG_REPORTING_ROLES: readonly Role[] = ['qa', 'manager', 'admin'];
