const MUTATING_METHODS: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

/** The audit naming of one mutating route. */
export interface RouteAction {
  action: string;
  resource: string;
  /** The route parameter that names the resource acted on, if any. */
  idParameter: string | null;
}

/**
 * Names the audit event of a mutating route from its template: the literal
 * segments after the version, then the verb, so `PATCH /v1/tasks/:id` is
 * `tasks.update` on resource `tasks`, and `POST /v1/projects/:id/members` is
 * `projects.members.create` on resource `members`. Returns undefined for
 * reads and for requests that matched no route.
 */
export function routeAction(
  method: string,
  route: string | null | undefined,
): RouteAction | undefined {
  const verb = MUTATING_METHODS[method.toUpperCase()];
  if (verb === undefined || route === null || route === undefined) {
    return undefined;
  }
  const segments = route.split('/').filter((segment) => segment !== '' && !/^v\d+$/.test(segment));
  const literals = segments.filter((segment) => !segment.startsWith(':'));
  if (literals.length === 0) {
    return undefined;
  }
  const resource = literals[literals.length - 1]!;
  const last = segments[segments.length - 1]!;
  return {
    action: `${literals.join('.')}.${verb}`,
    resource,
    idParameter: last.startsWith(':') ? last.slice(1) : null,
  };
}

const PLAIN_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Returns a route parameter fit to store as an audit resource id, or null.
 * Failed requests reach the trail unauthenticated, so anything that is not a
 * short plain id (an e-mail address, a long or binary string) is not stored.
 */
export function auditResourceId(value: unknown): string | null {
  return typeof value === 'string' && PLAIN_ID.test(value) ? value : null;
}
