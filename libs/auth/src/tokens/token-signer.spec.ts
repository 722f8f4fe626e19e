import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

import { beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';

import { KeyRing } from './key-ring.js';
import {
  ACCESS_TOKEN_VERIFY_OPTIONS,
  type AccessTokenClaims,
  InvalidTokenError,
  TokenSigner,
  type TokenSignerOptions,
} from './token-signer.js';

const OPTIONS: TokenSignerOptions = {
  issuer: 'https://codexflow.test',
  audience: 'codexflow-api',
  idTokenAudience: 'codexflow-web',
  accessTokenTtlSeconds: 900,
};

const CLAIMS: AccessTokenClaims = {
  sub: 'usr_0123456789abcdefghij',
  sid: 'ses_0123456789abcdefghij',
  role: 'member',
  permissions: ['tasks:read:team', 'tasks:update:own'],
  amr: ['pwd'],
};

function pkcs8(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Builds the payload of a valid access token, with overrides. */
function accessPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  return {
    ...CLAIMS,
    jti: 'AAAAAAAAAAAAAAAAAAAAAA',
    iat,
    exp: iat + 900,
    iss: OPTIONS.issuer,
    aud: OPTIONS.audience,
    ...overrides,
  };
}

/** Signs any header and payload with RS256, bypassing every check of TokenSigner. */
function signRs256(header: object, payload: object, privateKey: KeyObject): string {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      return error.reason;
    }
    throw error;
  }
  throw new Error('expected an InvalidTokenError');
}

describe(TokenSigner.name, () => {
  let oldKey: KeyObject;
  let newKey: KeyObject;
  let foreignKey: KeyObject;
  let ring: KeyRing;
  let signer: TokenSigner;

  beforeAll(() => {
    oldKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    newKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    ring = KeyRing.fromPem(`kid: old\n${pkcs8(oldKey)}`);
    signer = new TokenSigner(ring, OPTIONS);
  });

  function validHeader(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { alg: 'RS256', kid: 'old', typ: 'at+jwt', ...overrides };
  }

  describe('constructor', () => {
    it('accepts a lifetime of one hour', () => {
      expect(
        () => new TokenSigner(ring, { ...OPTIONS, accessTokenTtlSeconds: 3600 }),
      ).not.toThrow();
    });

    it('rejects a lifetime over one hour', () => {
      expect(() => new TokenSigner(ring, { ...OPTIONS, accessTokenTtlSeconds: 3601 })).toThrow(
        'access token lifetime must be a whole number of seconds from 1 to 3600; got 3601',
      );
    });

    it('rejects a zero or fractional lifetime', () => {
      expect(() => new TokenSigner(ring, { ...OPTIONS, accessTokenTtlSeconds: 0 })).toThrow(
        'access token lifetime',
      );
      expect(() => new TokenSigner(ring, { ...OPTIONS, accessTokenTtlSeconds: 1.5 })).toThrow(
        'access token lifetime',
      );
    });

    it('rejects an ID token audience equal to the access audience', () => {
      expect(
        () => new TokenSigner(ring, { ...OPTIONS, idTokenAudience: OPTIONS.audience }),
      ).toThrow('the ID token audience must differ from the access token audience');
    });
  });

  describe('signAccessToken', () => {
    it('writes the RFC 9068 header', () => {
      const { token } = signer.signAccessToken(CLAIMS);

      expect(jwt.decode(token, { complete: true })?.header).toEqual({
        alg: 'RS256',
        kid: 'old',
        typ: 'at+jwt',
      });
    });

    it('writes the claims, jti, lifetime, issuer and audience', () => {
      const before = nowSeconds();
      const signed = signer.signAccessToken(CLAIMS);
      const payload = jwt.decode(signed.token) as Record<string, unknown>;

      expect(payload).toMatchObject({ ...CLAIMS, iss: OPTIONS.issuer, aud: OPTIONS.audience });
      expect(payload.jti).toBe(signed.jti);
      expect(signed.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload.exp).toBe((payload.iat as number) + 900);
      expect(signed.expiresIn).toBe(900);
      expect(signed.expiresAt.getTime()).toBe((payload.exp as number) * 1000);
    });

    it('uses a new jti for each token', () => {
      expect(signer.signAccessToken(CLAIMS).jti).not.toBe(signer.signAccessToken(CLAIMS).jti);
    });

    it('rejects claims that verification would reject', () => {
      expect(() => signer.signAccessToken({ ...CLAIMS, sub: 'ses_wrong' })).toThrow(
        'cannot sign an access token: sub must be a usr_ id',
      );
      expect(() => signer.signAccessToken({ ...CLAIMS, sid: 'usr_wrong' })).toThrow(
        'sid must be a ses_ id',
      );
    });
  });

  describe('signIdToken', () => {
    const idClaims = {
      sub: CLAIMS.sub,
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada Lovelace',
    };

    it('writes a JWT for the ID token audience', () => {
      const decoded = jwt.decode(signer.signIdToken(idClaims), { complete: true });
      const payload = decoded?.payload as Record<string, unknown>;

      expect(decoded?.header).toEqual({ alg: 'RS256', kid: 'old', typ: 'JWT' });
      expect(payload).toMatchObject({ ...idClaims, iss: OPTIONS.issuer, aud: 'codexflow-web' });
      expect(payload.exp).toBe((payload.iat as number) + 900);
    });

    it('is rejected as an access token', () => {
      const idToken = signer.signIdToken(idClaims);

      expect(reasonOf(() => signer.verifyAccessToken(idToken))).toBe('typ must be at+jwt');
      expect(reasonOf(() => signer.verifyAccessToken(idToken))).toBe('typ must be at+jwt');
    });
  });

  describe('verifyAccessToken', () => {
    it('returns the claims of a valid token', () => {
      const signed = signer.signAccessToken(CLAIMS);
      const verified = signer.verifyAccessToken(signed.token);

      expect(verified).toMatchObject({ ...CLAIMS, jti: signed.jti, aud: OPTIONS.audience });
      expect(verified.iss).toBe(OPTIONS.issuer);
    });

    it('rejects alg none', () => {
      const unsigned = `${encodeSegment(validHeader({ alg: 'none' }))}.${encodeSegment(accessPayload())}.`;
      const withJunkSignature = `${unsigned}c2lnbmF0dXJl`;

      expect(reasonOf(() => signer.verifyAccessToken(unsigned))).toBe(
        'not a JWS compact serialization',
      );
      expect(reasonOf(() => signer.verifyAccessToken(withJunkSignature))).toBe('alg must be RS256');
    });

    it('rejects HS256 keyed with the public key PEM', () => {
      const publicPem = ring.publicKeyPem('old') ?? '';
      const signingInput = `${encodeSegment(validHeader({ alg: 'HS256' }))}.${encodeSegment(accessPayload())}`;
      const mac = createHmac('sha256', publicPem).update(signingInput).digest('base64url');
      const token = `${signingInput}.${mac}`;

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('alg must be RS256');
      expect(() =>
        jwt.verify(token, publicPem, ACCESS_TOKEN_VERIFY_OPTIONS(OPTIONS.issuer, OPTIONS.audience)),
      ).toThrow('invalid algorithm');
    });

    it('rejects an unknown kid', () => {
      const token = signRs256(validHeader({ kid: 'elsewhere' }), accessPayload(), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('unknown kid');
    });

    it('rejects a missing or empty kid', () => {
      const header = validHeader();
      delete header.kid;

      for (const token of [
        signRs256(header, accessPayload(), oldKey),
        signRs256(validHeader({ kid: '' }), accessPayload(), oldKey),
        signRs256(validHeader({ kid: 7 }), accessPayload(), oldKey),
      ]) {
        expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('kid is missing');
      }
    });

    it('rejects a token expired beyond the 30 second leeway', () => {
      const iat = nowSeconds() - 1000;
      const token = signRs256(validHeader(), accessPayload({ iat, exp: iat + 960 }), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('expired');
    });

    it('accepts a token expired within the 30 second leeway', () => {
      const iat = nowSeconds() - 910;
      const token = signRs256(validHeader(), accessPayload({ iat, exp: iat + 900 }), oldKey);

      expect(signer.verifyAccessToken(token).sub).toBe(CLAIMS.sub);
    });

    it('rejects a not-before beyond the leeway', () => {
      const token = signRs256(validHeader(), accessPayload({ nbf: nowSeconds() + 60 }), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('not yet valid');
    });

    it('accepts a not-before within the leeway', () => {
      const token = signRs256(validHeader(), accessPayload({ nbf: nowSeconds() + 20 }), oldKey);

      expect(signer.verifyAccessToken(token).sub).toBe(CLAIMS.sub);
    });

    it('rejects a not-before that is no number', () => {
      const token = signRs256(validHeader(), accessPayload({ nbf: 'soon' }), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('invalid nbf value');
    });

    it('rejects a signed payload that is not JSON', () => {
      const signingInput = `${encodeSegment(validHeader())}.${Buffer.from('{sub').toString('base64url')}`;
      const signature = createSign('RSA-SHA256').update(signingInput).sign(oldKey);
      const token = `${signingInput}.${signature.toString('base64url')}`;

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('payload is not JSON');
    });

    it('rejects another audience', () => {
      const token = signRs256(validHeader(), accessPayload({ aud: 'other-api' }), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toMatch(/^jwt audience invalid/);
    });

    it('rejects the ID token audience even with typ at+jwt', () => {
      const token = signRs256(validHeader(), accessPayload({ aud: 'codexflow-web' }), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toMatch(/^jwt audience invalid/);
    });

    it('rejects another issuer', () => {
      const token = signRs256(validHeader(), accessPayload({ iss: 'https://evil.test' }), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toMatch(/^jwt issuer invalid/);
    });

    it.each([
      ['jku', 'https://evil.test/jwks.json'],
      ['x5u', 'https://evil.test/cert.pem'],
      ['jwk', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
      ['x5c', ['MIIB']],
      ['crit', ['exp']],
    ])('rejects the header parameter %s', (parameter, value) => {
      const token = signRs256(validHeader({ [parameter]: value }), accessPayload(), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe(
        `header parameter ${parameter} is not allowed`,
      );
      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe(
        `header parameter ${parameter} is not allowed`,
      );
    });

    it('rejects one changed payload byte', () => {
      const [header, payload, signature] = signer.signAccessToken(CLAIMS).token.split('.');
      const bytes = Buffer.from(payload ?? '', 'base64url');
      const roleOffset = bytes.indexOf('"member"') + 1;
      bytes[roleOffset] = 'M'.charCodeAt(0);
      const tampered = `${header}.${bytes.toString('base64url')}.${signature}`;

      expect(reasonOf(() => signer.verifyAccessToken(tampered))).toBe('invalid signature');
    });

    it('rejects a foreign key with known kid', () => {
      const token = signRs256(validHeader(), accessPayload(), foreignKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('invalid signature');
    });

    it.each([
      ['sub without usr_', { sub: 'ses_0123456789abcdefghij' }, 'sub must be a usr_ id'],
      ['sid without ses_', { sid: 'usr_0123456789abcdefghij' }, 'sid must be a ses_ id'],
      ['numeric role', { role: 1 }, 'role must be a non-empty string'],
      [
        'permissions string',
        { permissions: 'tasks:read' },
        'permissions must be an array of strings',
      ],
      ['amr with a number', { amr: ['pwd', 2] }, 'amr must be an array of strings'],
      ['missing jti', { jti: undefined }, 'jti is missing'],
      ['missing exp', { exp: undefined }, 'iat and exp must be whole seconds'],
      ['lifetime over one hour', { exp: nowSeconds() + 7200 }, 'lifetime exceeds 1 hour'],
    ])('rejects a claim: %s', (_name, overrides, reason) => {
      const token = signRs256(validHeader(), accessPayload(overrides), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe(reason);
    });

    it('rejects an array audience', () => {
      const token = signRs256(validHeader(), accessPayload({ aud: [OPTIONS.audience] }), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('iss and aud must be strings');
    });
  });

  describe('header checks', () => {
    it('verifies with the key of the header kid', () => {
      const { token } = signer.signAccessToken(CLAIMS);
      const options = ACCESS_TOKEN_VERIFY_OPTIONS(OPTIONS.issuer, OPTIONS.audience);

      expect(signer.verifyAccessToken(token)).toMatchObject({ sub: CLAIMS.sub });
      expect(jwt.verify(token, ring.publicKey('old') ?? '', options)).toMatchObject({
        sub: CLAIMS.sub,
      });
    });

    it('rejects tokens that are not three base64url segments', () => {
      const { token } = signer.signAccessToken(CLAIMS);
      const [header, payload] = token.split('.');

      for (const malformed of ['', 'abc', `${header}.${payload}`, `${token}.extra`, `${token}=`]) {
        expect(reasonOf(() => signer.verifyAccessToken(malformed))).toBe(
          'not a JWS compact serialization',
        );
      }
    });

    it('rejects a header that is not a JSON object', () => {
      const rest = 'e30.c2ln';
      const notJson = `${Buffer.from('{alg').toString('base64url')}.${rest}`;
      const array = `${encodeSegment(['RS256'])}.${rest}`;

      expect(reasonOf(() => signer.verifyAccessToken(notJson))).toBe('header is not JSON');
      expect(reasonOf(() => signer.verifyAccessToken(array))).toBe('header is not a JSON object');
    });

    it('rejects alg spelled in another case', () => {
      const token = signRs256(validHeader({ alg: 'rs256' }), accessPayload(), oldKey);

      expect(reasonOf(() => signer.verifyAccessToken(token))).toBe('alg must be RS256');
    });
  });

  describe('key rotation', () => {
    it('verifies old tokens, signs with the new kid and publishes both keys', () => {
      const oldToken = signer.signAccessToken(CLAIMS).token;
      const rotatedRing = KeyRing.fromPem(`kid: new\n${pkcs8(newKey)}\nkid: old\n${pkcs8(oldKey)}`);
      const rotatedSigner = new TokenSigner(rotatedRing, OPTIONS);

      const newToken = rotatedSigner.signAccessToken(CLAIMS).token;

      expect(rotatedSigner.verifyAccessToken(oldToken).sub).toBe(CLAIMS.sub);
      expect(jwt.decode(newToken, { complete: true })?.header.kid).toBe('new');
      expect(rotatedSigner.verifyAccessToken(newToken).sub).toBe(CLAIMS.sub);
      expect(rotatedRing.jwks().keys.map((key) => key.kid)).toEqual(['new', 'old']);
    });

    it('rejects old tokens once the old key leaves the ring', () => {
      const oldToken = signer.signAccessToken(CLAIMS).token;
      const newOnlySigner = new TokenSigner(KeyRing.fromPem(`kid: new\n${pkcs8(newKey)}`), OPTIONS);

      expect(reasonOf(() => newOnlySigner.verifyAccessToken(oldToken))).toBe('unknown kid');
    });
  });
});

describe(ACCESS_TOKEN_VERIFY_OPTIONS.name, () => {
  it('pins RS256, issuer, audience and a 30 second leeway', () => {
    expect(ACCESS_TOKEN_VERIFY_OPTIONS('https://issuer.test', 'api')).toEqual({
      algorithms: ['RS256'],
      issuer: 'https://issuer.test',
      audience: 'api',
      clockTolerance: 30,
    });
  });
});
