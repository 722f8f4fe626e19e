import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { Request } from 'express';

import type { RequestWithPrincipal } from '@codexflow/access';
import { ProblemException } from '@codexflow/core';

import { secretsEqual } from '../tokens/secret-tokens.js';
import { CSRF_COOKIE, CSRF_HEADER, readCookie } from './auth-cookies.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Requires `X-CSRF-Token` equal to the `cf_csrf` cookie, compared in constant
 * time. Both values are hashed first, so tokens of different lengths are
 * rejected without throwing.
 */
export function assertCsrfToken(request: Request): void {
  const header = request.headers[CSRF_HEADER];
  const presented = typeof header === 'string' ? header : undefined;
  const expected = readCookie(request, CSRF_COOKIE);

  if (presented === undefined || expected === undefined || !secretsEqual(presented, expected)) {
    throw new ProblemException(
      HttpStatus.FORBIDDEN,
      'The X-CSRF-Token header is missing or does not match the cf_csrf cookie',
    );
  }
}

/** Applies the CSRF check to every unsafe request authenticated by cookie. */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    if (request.user?.transport === 'cookie' && !SAFE_METHODS.has(request.method)) {
      assertCsrfToken(request);
    }
    return true;
  }
}
