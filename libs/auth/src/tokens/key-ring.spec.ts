import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { AppConfig } from '@codexflow/core';

import { KeyRing } from './key-ring.js';

function rsaKey(bits = 2048): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
}

function pkcs8(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function pkcs1(key: KeyObject): string {
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/** Computes the RFC 7638 thumbprint from the JWK members, spelled out independently. */
function expectedThumbprintKid(key: KeyObject): string {
  const { n, e } = key.export({ format: 'jwk' });
  const canonical = `{"e":"${String(e)}","kty":"RSA","n":"${String(n)}"}`;
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

function configFor(overrides: {
  dataDir: string;
  privateKeys?: string;
  isProduction?: boolean;
}): AppConfig {
  return {
    isProduction: overrides.isProduction ?? false,
    dataDir: overrides.dataDir,
    jwt: {
      privateKeys: overrides.privateKeys,
      issuer: 'http://localhost:3000',
      audience: 'codexflow-api',
      accessTokenTtlSeconds: 900,
    },
  } as AppConfig;
}

describe(KeyRing.name, () => {
  let first: KeyObject;
  let second: KeyObject;
  let temporaryRoot: string;

  beforeAll(() => {
    first = rsaKey();
    second = rsaKey();
    temporaryRoot = mkdtempSync(join(tmpdir(), 'codexflow-key-ring-'));
  });

  afterAll(() => {
    rmSync(temporaryRoot, { recursive: true, force: true });
  });

  describe('fromPem', () => {
    it('derives the kid from the JWK thumbprint', () => {
      const ring = KeyRing.fromPem(pkcs8(first));

      expect(ring.signingKey.kid).toBe(expectedThumbprintKid(first));
      expect(ring.signingKey.kid).toMatch(/^[A-Za-z0-9_-]{16}$/);
    });

    it('reads a PKCS#1 key', () => {
      const ring = KeyRing.fromPem(pkcs1(first));

      expect(ring.signingKey.kid).toBe(expectedThumbprintKid(first));
    });

    it('takes the kid from the line above BEGIN', () => {
      const ring = KeyRing.fromPem(`kid: 2025-06.main_key\n${pkcs8(first)}`);

      expect(ring.signingKey.kid).toBe('2025-06.main_key');
    });

    it('signs with the first key and verifies with all', () => {
      const ring = KeyRing.fromPem(`kid: new\n${pkcs8(second)}\nkid: old\n${pkcs1(first)}`);

      expect(ring.signingKey.kid).toBe('new');
      expect(ring.signingKey.privateKey.equals(second)).toBe(true);
      expect(ring.publicKey('old')?.equals(createPublicKey(first))).toBe(true);
      expect(ring.publicKey('new')?.equals(createPublicKey(second))).toBe(true);
      expect(ring.publicKey('missing')).toBeUndefined();
    });

    it('returns SPKI PEM public keys', () => {
      const ring = KeyRing.fromPem(`kid: only\n${pkcs8(first)}`);

      expect(ring.publicKeyPem('only')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(ring.publicKeyPem('only')).not.toContain('PRIVATE');
      expect(ring.publicKeyPem('missing')).toBeUndefined();
    });

    it('accepts Windows line endings and surrounding blank lines', () => {
      const text = `\r\nkid: crlf\r\n${pkcs8(first).replaceAll('\n', '\r\n')}\r\n\r\n`;

      expect(KeyRing.fromPem(text).signingKey.kid).toBe('crlf');
    });

    it('ignores inherited property names as kids', () => {
      const ring = KeyRing.fromPem(pkcs8(first));

      expect(ring.publicKey('__proto__')).toBeUndefined();
      expect(ring.publicKey('constructor')).toBeUndefined();
    });
  });

  describe('jwks', () => {
    it('lists every public key in ring order', () => {
      const ring = KeyRing.fromPem(`kid: new\n${pkcs8(second)}\nkid: old\n${pkcs8(first)}`);
      const { keys } = ring.jwks();

      expect(keys.map((key) => key.kid)).toEqual(['new', 'old']);
      expect(keys[1]).toEqual({
        kty: 'RSA',
        kid: 'old',
        use: 'sig',
        alg: 'RS256',
        n: first.export({ format: 'jwk' }).n,
        e: 'AQAB',
      });
    });

    it('contains no private key members', () => {
      const [key] = KeyRing.fromPem(pkcs8(first)).jwks().keys;

      expect(Object.keys(key ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    });
  });

  describe('fromPem errors', () => {
    it('rejects text without a key', () => {
      expect(() => KeyRing.fromPem('')).toThrow('JWT_PRIVATE_KEYS contains no PEM private key');
      expect(() => KeyRing.fromPem('\n  \n')).toThrow('contains no PEM private key');
    });

    it('rejects text outside PEM blocks', () => {
      expect(() => KeyRing.fromPem(`not a key\n${pkcs8(first)}`)).toThrow(
        'JWT_PRIVATE_KEYS: line 1 is neither a "kid: <id>" line nor part of a PEM block',
      );
    });

    it('explains literal backslash-n newlines', () => {
      const escaped = pkcs8(first).replaceAll('\n', '\\n');

      expect(() => KeyRing.fromPem(escaped)).toThrow(
        'it contains a literal "\\n", so write real line breaks or pass the keys as a file with JWT_PRIVATE_KEYS_FILE',
      );
    });

    it('rejects a block without END', () => {
      const truncated = pkcs8(first).split('\n').slice(0, 5).join('\n');

      expect(() => KeyRing.fromPem(truncated)).toThrow('has no "-----END PRIVATE KEY-----" line');
    });

    it('rejects a corrupted key body', () => {
      const lines = pkcs8(first).split('\n');
      const corrupted = [lines[0], 'AAAA' + (lines[1] ?? '').slice(4, 20), ...lines.slice(-2)];

      expect(() => KeyRing.fromPem(corrupted.join('\n'))).toThrow(
        'JWT_PRIVATE_KEYS: key 1 cannot be parsed as a PEM private key',
      );
    });

    it('rejects a public key', () => {
      const publicPem = createPublicKey(first).export({ type: 'spki', format: 'pem' }).toString();

      expect(() => KeyRing.fromPem(publicPem)).toThrow(
        'JWT_PRIVATE_KEYS: key 1 is a "PUBLIC KEY" block',
      );
    });

    it('rejects an encrypted key', () => {
      const encrypted = first
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
        .toString();

      expect(() => KeyRing.fromPem(encrypted)).toThrow('is a "ENCRYPTED PRIVATE KEY" block');
    });

    it('rejects a key that is not RSA', () => {
      const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

      expect(() => KeyRing.fromPem(pkcs8(ecKey))).toThrow(
        'JWT_PRIVATE_KEYS: key 1 is a ec key, but RS256 needs an RSA key',
      );
    });

    it('rejects an RSA key under 2048 bits', () => {
      const text = `${pkcs8(first)}\n${pkcs8(rsaKey(1024))}`;

      expect(() => KeyRing.fromPem(text)).toThrow(
        'JWT_PRIVATE_KEYS: key 2 is an RSA key of 1024 bits, but RS256 keys need at least 2048',
      );
    });

    it('rejects duplicate kids', () => {
      const text = `kid: same\n${pkcs8(first)}\nkid: same\n${pkcs8(second)}`;

      expect(() => KeyRing.fromPem(text)).toThrow(
        'JWT_PRIVATE_KEYS contains the kid "same" more than once',
      );
    });

    it('rejects the same key twice without kids', () => {
      expect(() => KeyRing.fromPem(`${pkcs8(first)}\n${pkcs1(first)}`)).toThrow('more than once');
    });

    it('rejects an invalid kid', () => {
      expect(() => KeyRing.fromPem(`kid: has space\n${pkcs8(first)}`)).toThrow(
        'JWT_PRIVATE_KEYS: the kid on line 1 is invalid',
      );
      expect(() => KeyRing.fromPem(`kid: ${'k'.repeat(65)}\n${pkcs8(first)}`)).toThrow(
        'the kid on line 1 is invalid',
      );
      expect(() => KeyRing.fromPem(`kid:\n${pkcs8(first)}`)).toThrow(
        'the kid on line 1 is invalid',
      );
    });

    it('rejects a kid line not directly above BEGIN', () => {
      expect(() => KeyRing.fromPem(`kid: gap\n\n${pkcs8(first)}`)).toThrow(
        'the "kid:" line 1 must be directly above a -----BEGIN line',
      );
      const danglingLine = pkcs8(first).split('\n').length;
      expect(() => KeyRing.fromPem(`${pkcs8(first)}kid: dangling`)).toThrow(
        `the "kid:" line ${danglingLine} must be directly above a -----BEGIN line`,
      );
    });
  });

  describe('load', () => {
    it('uses JWT_PRIVATE_KEYS when set', () => {
      const dataDir = mkdtempSync(join(temporaryRoot, 'configured-'));
      const ring = KeyRing.load(configFor({ dataDir, privateKeys: `kid: cfg\n${pkcs8(first)}` }));

      expect(ring.signingKey.kid).toBe('cfg');
      expect(readdirSync(dataDir)).toEqual([]);
    });

    it('uses JWT_PRIVATE_KEYS in production', () => {
      const dataDir = mkdtempSync(join(temporaryRoot, 'production-'));
      const config = configFor({ dataDir, isProduction: true, privateKeys: pkcs8(first) });

      expect(KeyRing.load(config).signingKey.kid).toBe(expectedThumbprintKid(first));
    });

    it('requires JWT_PRIVATE_KEYS in production', () => {
      const dataDir = mkdtempSync(join(temporaryRoot, 'production-'));

      expect(() => KeyRing.load(configFor({ dataDir, isProduction: true }))).toThrow(
        'JWT_PRIVATE_KEYS is required when NODE_ENV=production (PEM private keys, newest first)',
      );
      expect(readdirSync(dataDir)).toEqual([]);
    });

    it('generates a development key once and reuses it', () => {
      const dataDir = join(mkdtempSync(join(temporaryRoot, 'development-')), 'data');
      const keyFile = join(dataDir, 'keys', 'jwt-private-keys.pem');

      const created = KeyRing.load(configFor({ dataDir }));
      const contentAfterCreate = readFileSync(keyFile, 'utf8');
      const reloaded = KeyRing.load(configFor({ dataDir }));

      expect(reloaded.signingKey.kid).toBe(created.signingKey.kid);
      expect(readFileSync(keyFile, 'utf8')).toBe(contentAfterCreate);
      expect(contentAfterCreate).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(created.signingKey.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(readdirSync(join(dataDir, 'keys'))).toEqual(['jwt-private-keys.pem']);
    });

    it('creates the key file private to its owner', () => {
      const dataDir = mkdtempSync(join(temporaryRoot, 'modes-'));
      KeyRing.load(configFor({ dataDir }));

      expect(statSync(join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, 'keys', 'jwt-private-keys.pem')).mode & 0o777).toBe(0o600);
    });

    it('reads an existing development key file', () => {
      const dataDir = mkdtempSync(join(temporaryRoot, 'existing-'));
      mkdirSync(join(dataDir, 'keys'), { mode: 0o700 });
      writeFileSync(join(dataDir, 'keys', 'jwt-private-keys.pem'), `kid: dev\n${pkcs8(second)}`, {
        mode: 0o600,
      });

      expect(KeyRing.load(configFor({ dataDir })).signingKey.kid).toBe('dev');
    });

    it('names a broken development key file and the fix', () => {
      const dataDir = mkdtempSync(join(temporaryRoot, 'broken-'));
      const keyFile = join(dataDir, 'keys', 'jwt-private-keys.pem');
      mkdirSync(join(dataDir, 'keys'), { mode: 0o700 });
      writeFileSync(keyFile, 'garbage\n', { mode: 0o600 });

      expect(() => KeyRing.load(configFor({ dataDir }))).toThrow(
        `development key file ${keyFile}: line 1 is neither a "kid: <id>" line nor part of a PEM block. Delete the file to generate a new development key.`,
      );
    });
  });
});
