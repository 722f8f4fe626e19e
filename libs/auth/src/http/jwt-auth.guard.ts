import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';

import { isRole, type Principal, PUBLIC_ROUTE } from '@codexflow/access';
import { currentRequestContext, isPublicId, ProblemException } from '@codexflow/core';

import { RevocationService } from '../sessions/revocation.service.js';
import { InvalidTokenError, TokenSigner } from '../tokens/token-signer.js';
import { ACCESS_COOKIE, readCookie } from './auth-cookies.js';

type AuthenticatedRequest = Request & { user?: Principal };

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

interface PresentedToken {
  token: string | null;
  transport: Principal['transport'];
}

/**
 * Reads the access token from `Authorization: Bearer` or, when that header is
 * absent, from the `cf_access` cookie. A malformed header is not retried with the cookie.
 */
function presentedToken(request: Request): PresentedToken | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    return { token: BEARER.exec(header)?.[1] ?? null, transport: 'bearer' };
  }

  const cookie = readCookie(request, ACCESS_COOKIE);
  return cookie === undefined ? undefined : { token: cookie, transport: 'cookie' };
}

/**
 * Authenticates every route not marked @Public(). The token must be RS256
 * with a `kid` of the key ring, `typ` at+jwt, the configured issuer and
 * audience, unexpired (30 s of clock tolerance), with well-formed claims and
 * neither its session nor its id revoked. The key ring contains parsed key
 * objects, so a request costs one signature check and no database read.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  /** Cache of whether each route handler is public. Route metadata is fixed once the app is built. */
  private readonly publicHandlers = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly signer: TokenSigner,
    private readonly revocations: RevocationService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.isPublic(context)) {
      return true;
    }

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = presentedToken(request);
    if (presented?.token === null || presented === undefined) {
      throw unauthorized();
    }
    const principal = this.authenticate(presented.token, presented.transport);

    request.user = principal;
    const requestContext = currentRequestContext();
    if (requestContext !== undefined) {
      requestContext.userId = principal.userId;
    }
    return true;
  }

  private isPublic(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let isPublic = this.publicHandlers.get(handler);
    if (isPublic === undefined) {
      isPublic =
        this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [handler, context.getClass()]) ===
        true;
      this.publicHandlers.set(handler, isPublic);
    }
    return isPublic;
  }

  private authenticate(token: string, transport: Principal['transport']): Principal {
    let claims;
    try {
      claims = this.signer.verifyAccessToken(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        throw unauthorized();
      }
      throw error;
    }

    const { sub, sid, role, permissions, amr, jti, exp } = claims;
    if (!isPublicId(sub, 'usr') || !isPublicId(sid, 'ses') || !isRole(role)) {
      throw unauthorized();
    }
    // While the shared state is unreachable this throws its own 503, so a revoked token is never accepted.
    if (this.revocations.isRevoked(jti, sid)) {
      throw unauthorized();
    }

    return {
      userId: sub,
      sessionId: sid,
      role,
      permissions,
      amr,
      tokenId: jti,
      tokenExpiresAt: new Date(exp * 1000),
      transport,
    };
  }
}

function unauthorized(): ProblemException {
  return new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'A valid access token is required: it is missing, malformed, expired or revoked',
    'about:blank',
    undefined,
    { 'WWW-Authenticate': 'Bearer realm="codexflow"' },
  );
}
