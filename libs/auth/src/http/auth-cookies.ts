import type { CookieOptions, Request, Response } from 'express';

import type { AppConfig } from '@codexflow/core';

import type { TokenSet } from '../flows/token-issuer.js';
import { generateSecretToken } from '../tokens/secret-tokens.js';

export const ACCESS_COOKIE = 'cf_access';
export const REFRESH_COOKIE = 'cf_refresh';
export const CSRF_COOKIE = 'cf_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const REFRESH_COOKIE_PATH = '/v1/auth';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Cookies are Secure except for plain HTTP on a loopback host, where browsers would drop them. */
function isSecureContext(request: Request): boolean {
  return request.secure || !LOOPBACK_HOSTS.has(request.hostname);
}

function baseOptions(request: Request): CookieOptions {
  return { sameSite: 'strict', secure: isSecureContext(request), path: '/' };
}

/** Sets the access, refresh and CSRF cookies of a cookie session. */
export function setSessionCookies(
  request: Request,
  response: Response,
  tokens: TokenSet,
  config: AppConfig,
): void {
  const base = baseOptions(request);
  const refreshMaxAge = config.sessions.refreshIdleSeconds * 1000;

  response.cookie(ACCESS_COOKIE, tokens.accessToken, {
    ...base,
    httpOnly: true,
    maxAge: tokens.expiresIn * 1000,
  });
  response.cookie(REFRESH_COOKIE, tokens.refreshToken, {
    ...base,
    httpOnly: true,
    path: REFRESH_COOKIE_PATH,
    maxAge: refreshMaxAge,
  });
  setCsrfCookie(request, response, refreshMaxAge);
}

/** Issues a new CSRF token in the readable `cf_csrf` cookie and returns it. */
export function setCsrfCookie(request: Request, response: Response, maxAgeMs: number): string {
  const csrfToken = generateSecretToken();
  response.cookie(CSRF_COOKIE, csrfToken, {
    ...baseOptions(request),
    httpOnly: false,
    maxAge: maxAgeMs,
  });
  return csrfToken;
}

export function clearSessionCookies(request: Request, response: Response): void {
  const base = baseOptions(request);
  response.clearCookie(ACCESS_COOKIE, { ...base, httpOnly: true });
  response.clearCookie(REFRESH_COOKIE, { ...base, httpOnly: true, path: REFRESH_COOKIE_PATH });
  response.clearCookie(CSRF_COOKIE, base);
}

export function readCookie(request: Request, name: string): string | undefined {
  const cookies = request.cookies as Record<string, unknown> | undefined;
  const value = cookies?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
