import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-jwt';

import { isRole, type Principal } from '@codexflow/access';
import { APP_CONFIG, type AppConfig, isPublicId } from '@codexflow/core';

import { RevocationService } from '../sessions/revocation.service.js';
import { ACCESS_TOKEN_VERIFY_OPTIONS, TokenSigner } from '../tokens/token-signer.js';
import { ACCESS_COOKIE, readCookie } from './auth-cookies.js';

type RequestWithTransport = Request & { accessTokenTransport?: Principal['transport'] };

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/**
 * Reads the access token from `Authorization: Bearer` or, when that header is
 * absent, from the `cf_access` cookie, and remembers which one it used.
 */
function extractAccessToken(request: RequestWithTransport): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    request.accessTokenTransport = 'bearer';
    return BEARER.exec(header)?.[1] ?? null;
  }

  const cookie = readCookie(request, ACCESS_COOKIE);
  if (cookie !== undefined) {
    request.accessTokenTransport = 'cookie';
    return cookie;
  }
  return null;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

interface AccessTokenPayload {
  sub?: unknown;
  sid?: unknown;
  role?: unknown;
  permissions?: unknown;
  amr?: unknown;
  jti?: unknown;
  exp?: unknown;
}

/**
 * passport-jwt verification: RS256 only, issuer, audience, expiry with 30 s
 * leeway, a `kid` from the key ring, and no revoked session or token id.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    signer: TokenSigner,
    private readonly revocations: RevocationService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const options = ACCESS_TOKEN_VERIFY_OPTIONS(config.jwt.issuer, config.jwt.audience);
    super({
      jwtFromRequest: extractAccessToken,
      secretOrKeyProvider: (
        _request: Request,
        rawJwt: string,
        done: (error: unknown, key?: string) => void,
      ) => {
        try {
          // jsonwebtoken takes a KeyObject as well, although passport-jwt's types name only
          // strings and buffers; a parsed key spares each request parsing the PEM again.
          done(null, signer.resolveAccessTokenKey(rawJwt) as unknown as string);
        } catch (error) {
          done(error);
        }
      },
      algorithms: ['RS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      jsonWebTokenOptions: options,
      passReqToCallback: true,
    });
  }

  validate(request: RequestWithTransport, payload: AccessTokenPayload): Principal | false {
    const { sub, sid, role, permissions, amr, jti, exp } = payload;
    if (
      !isPublicId(sub, 'usr') ||
      !isPublicId(sid, 'ses') ||
      !isRole(role) ||
      !isStringArray(permissions) ||
      !isStringArray(amr) ||
      typeof jti !== 'string' ||
      typeof exp !== 'number'
    ) {
      return false;
    }
    if (this.revocations.isRevoked(jti, sid)) {
      return false;
    }

    return {
      userId: sub,
      sessionId: sid,
      role,
      permissions,
      amr,
      tokenId: jti,
      tokenExpiresAt: new Date(exp * 1000),
      transport: request.accessTokenTransport ?? 'bearer',
    };
  }
}
