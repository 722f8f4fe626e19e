import type { Request } from 'express';

const USER_AGENT_MAX_LENGTH = 512;

/** The client address and user agent of a request, as recorded on sessions. */
export interface ClientContext {
  ipAddress: string | null;
  userAgent: string | null;
}

/** Reads the client address as Express resolves it under TRUST_PROXY. */
export function clientContext(request: Request): ClientContext {
  const userAgent = request.headers['user-agent'];
  return {
    ipAddress: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, USER_AGENT_MAX_LENGTH) : null,
  };
}
