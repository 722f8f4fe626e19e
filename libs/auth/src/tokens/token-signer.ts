import { randomBytes, verify } from 'node:crypto';

import jwt, { type VerifyOptions } from 'jsonwebtoken';

import type { KeyRing } from './key-ring.js';

export interface TokenSignerOptions {
  issuer: string;
  audience: string;
  idTokenAudience: string;
  accessTokenTtlSeconds: number;
}

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  role: string;
  permissions: string[];
  amr: string[];
}

export interface IdTokenClaims {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
}

/** Claims of an access token whose signature, issuer, audience, lifetime and shape were checked. */
export interface VerifiedAccessToken extends AccessTokenClaims {
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export interface SignedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  expiresAt: Date;
}

/** Error for an access token that must not be accepted, with a short `reason` like `expired`. */
export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid access token: ${reason}`);
    this.name = 'InvalidTokenError';
  }
}

// The `typ` that RFC 9068 gives JWT access tokens. Requiring it keeps an ID token
// (typ JWT) from passing as an access token.
const ACCESS_TOKEN_TYPE = 'at+jwt';
const MAX_ACCESS_TOKEN_TTL_SECONDS = 3600;
const CLOCK_TOLERANCE_SECONDS = 30;
const JTI_BYTES = 16;
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;
// Header parameters that point the verifier to keys outside the ring or demand
// extensions this verifier does not implement.
const FORBIDDEN_HEADER_PARAMETERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'] as const;

/**
 * Returns the access token rules as jsonwebtoken options, for code that verifies with
 * jsonwebtoken. The tests use it to compare the two.
 */
export function ACCESS_TOKEN_VERIFY_OPTIONS(
  issuer: string,
  audience: string,
): VerifyOptions & { algorithms: ['RS256']; complete?: false } {
  return { algorithms: ['RS256'], issuer, audience, clockTolerance: CLOCK_TOLERANCE_SECONDS };
}

/** Signs RS256 access and ID tokens with the ring's signing key and verifies access tokens. */
export class TokenSigner {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly options: TokenSignerOptions,
  ) {
    const ttl = options.accessTokenTtlSeconds;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_ACCESS_TOKEN_TTL_SECONDS) {
      throw new Error(
        `access token lifetime must be a whole number of seconds from 1 to ${MAX_ACCESS_TOKEN_TTL_SECONDS}; got ${ttl}. Set ACCESS_TOKEN_TTL to at most 1h`,
      );
    }
    if (options.idTokenAudience === options.audience) {
      throw new Error(
        `the ID token audience must differ from the access token audience "${options.audience}", so that an ID token is never accepted as an access token`,
      );
    }
  }

  /** Signs an access token (RFC 9068 `at+jwt`) with a new random `jti`. */
  signAccessToken(claims: AccessTokenClaims): SignedAccessToken {
    const problem = findAccessClaimsProblem(claims);
    if (problem !== undefined) {
      throw new Error(`cannot sign an access token: ${problem}`);
    }

    const ttl = this.options.accessTokenTtlSeconds;
    const iat = Math.floor(Date.now() / 1000);
    const jti = randomBytes(JTI_BYTES).toString('base64url');
    const payload: VerifiedAccessToken = {
      sub: claims.sub,
      sid: claims.sid,
      role: claims.role,
      permissions: [...claims.permissions],
      amr: [...claims.amr],
      jti,
      iat,
      exp: iat + ttl,
      iss: this.options.issuer,
      aud: this.options.audience,
    };

    const token = this.sign(payload, ACCESS_TOKEN_TYPE);
    return { token, jti, expiresIn: ttl, expiresAt: new Date(payload.exp * 1000) };
  }

  /** Signs an OpenID Connect ID token, which `verifyAccessToken` rejects for its typ and aud. */
  signIdToken(claims: IdTokenClaims): string {
    const iat = Math.floor(Date.now() / 1000);
    return this.sign(
      {
        sub: claims.sub,
        email: claims.email,
        email_verified: claims.email_verified,
        name: claims.name,
        iat,
        exp: iat + this.options.accessTokenTtlSeconds,
        iss: this.options.issuer,
        aud: this.options.idTokenAudience,
      },
      'JWT',
    );
  }

  /**
   * Verifies signature, issuer, audience and expiry (with 30 seconds of clock tolerance)
   * and the type of every claim.
   * @throws InvalidTokenError with a short reason when any check fails.
   */
  verifyAccessToken(token: string): VerifiedAccessToken {
    const kid = this.checkHeader(token);
    const publicKey = this.keyRing.publicKey(kid);
    if (publicKey === undefined) {
      throw new InvalidTokenError('unknown kid');
    }

    // The ring's parsed key object checks the signature directly. jsonwebtoken would decode
    // the token a second time, about 14 µs more a token on the benchmark machine.
    const signatureStart = token.lastIndexOf('.');
    const signed = Buffer.from(token.slice(0, signatureStart));
    const signature = Buffer.from(token.slice(signatureStart + 1), 'base64url');
    if (!verify('sha256', signed, publicKey, signature)) {
      throw new InvalidTokenError('invalid signature');
    }

    const payload = parseSegment(token.slice(token.indexOf('.') + 1, signatureStart), 'payload');
    const problem =
      findVerifiedClaimsProblem(payload) ??
      findRegisteredClaimsProblem(payload, this.options.issuer, this.options.audience);
    if (problem !== undefined) {
      throw new InvalidTokenError(problem);
    }
    return payload as unknown as VerifiedAccessToken;
  }

  private sign(payload: object, typ: string): string {
    const { kid, privateKey } = this.keyRing.signingKey;
    return jwt.sign(payload, privateKey, {
      algorithm: 'RS256',
      header: { alg: 'RS256', kid, typ },
    });
  }

  /** Checks the unverified header and returns its kid. */
  private checkHeader(rawJwt: string): string {
    const segments = rawJwt.split('.');
    if (segments.length !== 3 || !segments.every((segment) => BASE64URL_SEGMENT.test(segment))) {
      throw new InvalidTokenError('not a JWS compact serialization');
    }

    const header = parseSegment(segments[0] ?? '', 'header');
    if (header.alg !== 'RS256') {
      throw new InvalidTokenError('alg must be RS256');
    }
    if (header.typ !== ACCESS_TOKEN_TYPE) {
      throw new InvalidTokenError(`typ must be ${ACCESS_TOKEN_TYPE}`);
    }
    for (const parameter of FORBIDDEN_HEADER_PARAMETERS) {
      if (Object.hasOwn(header, parameter)) {
        throw new InvalidTokenError(`header parameter ${parameter} is not allowed`);
      }
    }
    if (typeof header.kid !== 'string' || header.kid === '') {
      throw new InvalidTokenError('kid is missing');
    }
    return header.kid;
  }
}

function parseSegment(segment: string, name: 'header' | 'payload'): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError(`${name} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidTokenError(`${name} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Returns what is wrong with the time, issuer and audience claims of a payload whose
 * types were checked, or undefined. The reasons are the ones jsonwebtoken gives.
 */
function findRegisteredClaimsProblem(
  claims: Record<string, unknown>,
  issuer: string,
  audience: string,
): string | undefined {
  const now = Math.floor(Date.now() / 1000);
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number') {
      return 'invalid nbf value';
    }
    if (claims.nbf > now + CLOCK_TOLERANCE_SECONDS) {
      return 'not yet valid';
    }
  }
  if (now >= (claims.exp as number) + CLOCK_TOLERANCE_SECONDS) {
    return 'expired';
  }
  if (claims.aud !== audience) {
    return `jwt audience invalid. expected: ${audience}`;
  }
  if (claims.iss !== issuer) {
    return `jwt issuer invalid. expected: ${issuer}`;
  }
  return undefined;
}

/** Returns what is wrong with the claims to be signed, or undefined when they are valid. */
function findAccessClaimsProblem(
  claims: Partial<Record<keyof AccessTokenClaims, unknown>>,
): string | undefined {
  if (typeof claims.sub !== 'string' || !claims.sub.startsWith('usr_')) {
    return 'sub must be a usr_ id';
  }
  if (typeof claims.sid !== 'string' || !claims.sid.startsWith('ses_')) {
    return 'sid must be a ses_ id';
  }
  if (typeof claims.role !== 'string' || claims.role === '') {
    return 'role must be a non-empty string';
  }
  if (!isStringArray(claims.permissions)) {
    return 'permissions must be an array of strings';
  }
  if (!isStringArray(claims.amr)) {
    return 'amr must be an array of strings';
  }
  return undefined;
}

/** Returns what is wrong with a verified payload, or undefined when every claim is valid. */
function findVerifiedClaimsProblem(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return 'payload is not a JSON object';
  }

  const claims = payload as Record<string, unknown>;
  const accessProblem = findAccessClaimsProblem(claims);
  if (accessProblem !== undefined) {
    return accessProblem;
  }
  if (typeof claims.jti !== 'string' || claims.jti === '') {
    return 'jti is missing';
  }
  if (!Number.isInteger(claims.iat) || !Number.isInteger(claims.exp)) {
    return 'iat and exp must be whole seconds';
  }
  if ((claims.exp as number) - (claims.iat as number) > MAX_ACCESS_TOKEN_TTL_SECONDS) {
    return 'lifetime exceeds 1 hour';
  }
  if (typeof claims.iss !== 'string' || typeof claims.aud !== 'string') {
    return 'iss and aud must be strings';
  }
  return undefined;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
