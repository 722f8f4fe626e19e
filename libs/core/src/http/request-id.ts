import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-ID';
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface RequestWithId {
  id: string;
}

/**
 * Keeps the caller's X-Request-ID when it is well formed, else assigns a new
 * one, and echoes it on the response before any other middleware runs.
 */
export function requestIdMiddleware(
  request: IncomingMessage,
  response: ServerResponse,
  next: () => void,
): void {
  const header = request.headers['x-request-id'];
  const offered = Array.isArray(header) ? undefined : header;
  const id = offered !== undefined && VALID_REQUEST_ID.test(offered) ? offered : randomUUID();

  (request as IncomingMessage & RequestWithId).id = id;
  response.setHeader(REQUEST_ID_HEADER, id);
  next();
}
