// Behaviour the comparison servers copy exactly from the service, so that all
// of them send the same bytes: the public shape of a task, the signed list
// cursor, and the permissions read from an access token.
import { createHmac, hkdfSync } from 'node:crypto';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
const CURSOR_SIGNATURE_BYTES = 16;

/** Maps a stored task to its public shape, with the fields in the service's order. */
export function toTaskResponse(task) {
  return {
    id: task.publicId,
    key: task.key,
    projectId: task.projectId,
    title: task.title,
    description: task.description,
    priority: task.priority,
    status: task.status,
    type: task.type,
    assignee: task.assigneeId,
    dueDate: task.dueDate ? task.dueDate.toISOString() : null,
    labels: task.labels,
    createdBy: task.createdBy,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

/**
 * Signs list cursors as the service does with the first ENCRYPTION_KEYS key:
 * base64url JSON of the position, a dot, and a truncated HMAC-SHA256 under a
 * key derived for list cursors. The comparison servers get the same key, so
 * their nextCursor is byte for byte the service's.
 */
export function createCursorSigner(encryptionKeys) {
  const [first] = encryptionKeys.split(',');
  const key = Buffer.from(first.slice(first.indexOf(':') + 1), 'base64');
  const derived = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'codexflow:list-cursor', 32));
  return (position) => {
    const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
    const signature = createHmac('sha256', derived)
      .update(payload)
      .digest()
      .subarray(0, CURSOR_SIGNATURE_BYTES)
      .toString('base64url');
    return `${payload}.${signature}`;
  };
}

/** Builds a page of the default sort (newest first) from rows fetched with limit + 1. */
export function toPage(rows, limit, projectId, signCursor) {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  const nextCursor =
    rows.length > limit && last !== undefined
      ? signCursor({ sort: '-createdAt', value: last.createdAt.toISOString(), id: last.publicId, list: projectId })
      : null;
  return { data: data.map(toTaskResponse), nextCursor };
}

/** Maps verified access token claims to the body of GET /v1/users/me/permissions. */
export function toPermissionsResponse(claims) {
  return {
    userId: claims.sub,
    role: claims.role,
    permissions: claims.permissions,
    amr: claims.amr,
    tokenExpiresAt: new Date(claims.exp * 1000).toISOString(),
  };
}

/** Returns whether the caller may read the project. Admins and managers read every project, other roles only their own. */
export function mayReadProject(claims, project) {
  return (
    claims.role === 'admin' ||
    claims.role === 'manager' ||
    project.ownerId === claims.sub ||
    project.memberIds.includes(claims.sub)
  );
}

/** Parses the `limit` query parameter: digits only, 1 to 100, 20 when absent, else undefined. */
export function parseLimit(raw) {
  if (raw === null || raw === undefined) {
    return DEFAULT_LIMIT;
  }
  if (!/^\d{1,6}$/.test(raw)) {
    return undefined;
  }
  const limit = Number(raw);
  return limit >= 1 && limit <= MAX_LIMIT ? limit : undefined;
}

/** Sort of the list query both comparison servers run, as the service sorts by default. */
export const LIST_SORT = { createdAt: -1, publicId: -1 };
