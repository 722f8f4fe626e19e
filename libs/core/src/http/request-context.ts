import { AsyncLocalStorage } from 'node:async_hooks';

import type { NextFunction, Request, Response } from 'express';

import type { RequestWithId } from './request-id.js';

const USER_AGENT_MAX_LENGTH = 512;

/** The caller of the request being served, for records written deep in services. */
export interface RequestContext {
  requestId: string | null;
  /** The client address as Express resolves it under TRUST_PROXY. */
  ipAddress: string | null;
  userAgent: string | null;
  /** Set once authentication has identified the caller. */
  userId: string | null;
  /** Set once any audit event of this request is written, so the route's own event is not added. */
  audited: boolean;
  /** The limit that turned this request away with 429, for the metrics. */
  rateLimitedBy: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Returns the context of the request being served, or undefined outside a request (jobs). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Builds the context of a request from its headers and socket. */
export function requestContextOf(request: Request): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    requestId: (request as Request & Partial<RequestWithId>).id ?? null,
    ipAddress: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, USER_AGENT_MAX_LENGTH) : null,
    userId: null,
    audited: false,
    rateLimitedBy: null,
  };
}

const CONTEXT_OF_REQUEST = new WeakMap<Request, RequestContext>();

/** Returns the context of `request`, also after it finished, or undefined when it ended before its context began. */
export function contextOfRequest(request: Request): RequestContext | undefined {
  return CONTEXT_OF_REQUEST.get(request);
}

/** Records which limit turned the current request away, so the metrics can count it by name. */
export function noteRateLimited(limiter: string): void {
  const context = currentRequestContext();
  if (context !== undefined) {
    context.rateLimitedBy = limiter;
  }
}

/**
 * Runs the rest of the request inside its context. It is installed after the
 * body parsers, because a context entered before them would be lost in the
 * stream callbacks that resume the chain.
 */
export function requestContextMiddleware(
  request: Request,
  _response: Response,
  next: NextFunction,
): void {
  runInContextOf(request, next);
}

/**
 * Runs `work` inside the context of `request`, first creating that context
 * when the request failed before the middleware gave it one (a body that
 * does not parse), so what `work` notes still reaches the metrics.
 */
export function runInContextOf<T>(request: Request, work: () => T): T {
  let context = CONTEXT_OF_REQUEST.get(request);
  if (context === undefined) {
    context = requestContextOf(request);
    CONTEXT_OF_REQUEST.set(request, context);
  }
  return storage.run(context, work);
}
