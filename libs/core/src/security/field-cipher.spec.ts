import { randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { EncryptedValueError, FieldCipher } from './field-cipher.js';
import { SecretKeyRing } from './secret-key-ring.js';

const OLD_KEY = `k1:${randomBytes(32).toString('base64')}`;
const NEW_KEY = `k2:${randomBytes(32).toString('base64')}`;
const CONTEXT = 'mfa_factors.secret:usr_123';
const SECRET = 'JBSWY3DPEHPK3PXP';

function cipherWith(keys: string): FieldCipher {
  return new FieldCipher(SecretKeyRing.parse(keys));
}

/** Flips the lowest bit of the first byte of one dot-separated part, counted from the end. */
function flipByte(value: string, partFromEnd: 1 | 2 | 3): string {
  const parts = value.split('.');
  const index = parts.length - partFromEnd;
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

function decryptError(cipher: FieldCipher, value: string, context = CONTEXT): unknown {
  try {
    cipher.decrypt(value, context);
  } catch (error) {
    return error;
  }
  throw new Error('expected decrypt to throw');
}

describe(FieldCipher.name, () => {
  describe('encrypt', () => {
    it('round-trips through decrypt', () => {
      const cipher = cipherWith(NEW_KEY);

      const value = cipher.encrypt(SECRET, CONTEXT);

      expect(cipher.decrypt(value, CONTEXT)).toBe(SECRET);
    });

    it('round-trips empty and non-ASCII text', () => {
      const cipher = cipherWith(NEW_KEY);

      for (const plaintext of ['', 'Zoë +49 151 2345678 ✓']) {
        expect(cipher.decrypt(cipher.encrypt(plaintext, CONTEXT), CONTEXT)).toBe(plaintext);
      }
    });

    it('writes the self-describing format', () => {
      const value = cipherWith(`${NEW_KEY},${OLD_KEY}`).encrypt(SECRET, CONTEXT);

      const [version, keyId, iv, ciphertext, tag, extra] = value.split('.');
      expect(version).toBe('v1');
      expect(keyId).toBe('k2');
      expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
      expect(Buffer.from(ciphertext ?? '', 'base64url')).toHaveLength(SECRET.length);
      expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16);
      expect(extra).toBeUndefined();
      expect(value).toMatch(/^[A-Za-z0-9_.-]+$/);
    });

    it('gives different output for the same text', () => {
      const cipher = cipherWith(NEW_KEY);

      const first = cipher.encrypt(SECRET, CONTEXT);
      const second = cipher.encrypt(SECRET, CONTEXT);

      expect(first).not.toBe(second);
      expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    });

    it('never contains the plaintext', () => {
      const cipher = cipherWith(NEW_KEY);

      const value = cipher.encrypt(SECRET, CONTEXT);

      expect(value).not.toContain(SECRET);
      expect(value).not.toContain(Buffer.from(SECRET).toString('base64url'));
    });

    it('rejects an empty context', () => {
      expect(() => cipherWith(NEW_KEY).encrypt(SECRET, '')).toThrow(TypeError);
    });
  });

  describe('key rotation', () => {
    it('decrypts a value under an old key', () => {
      const before = cipherWith(OLD_KEY).encrypt(SECRET, CONTEXT);
      const after = cipherWith(`${NEW_KEY},${OLD_KEY}`);

      expect(after.decrypt(before, CONTEXT)).toBe(SECRET);
      expect(after.keyIdOf(before)).toBe('k1');
      expect(after.needsReencryption(before)).toBe(true);
    });

    it('encrypts new values under the active key', () => {
      const cipher = cipherWith(`${NEW_KEY},${OLD_KEY}`);

      const value = cipher.encrypt(SECRET, CONTEXT);

      expect(cipher.keyIdOf(value)).toBe('k2');
      expect(cipher.needsReencryption(value)).toBe(false);
    });

    it('rejects a key id missing from the ring', () => {
      const value = cipherWith(OLD_KEY).encrypt(SECRET, CONTEXT);

      const error = decryptError(cipherWith(NEW_KEY), value);

      expect(error).toBeInstanceOf(EncryptedValueError);
      expect((error as EncryptedValueError).message).toMatch(/key id "k1"/);
      expect((error as EncryptedValueError).keyId).toBe('k1');
    });

    it('rejects a value under another key with the same id', () => {
      const value = cipherWith(OLD_KEY).encrypt(SECRET, CONTEXT);
      const otherKeyNamedK1 = `k1:${randomBytes(32).toString('base64')}`;

      expect(() => cipherWith(otherKeyNamedK1).decrypt(value, CONTEXT)).toThrow(
        EncryptedValueError,
      );
    });

    it('handles key ids that contain dots', () => {
      const cipher = cipherWith(`key.2026.1:${randomBytes(32).toString('base64')}`);

      const value = cipher.encrypt(SECRET, CONTEXT);

      expect(cipher.keyIdOf(value)).toBe('key.2026.1');
      expect(cipher.decrypt(value, CONTEXT)).toBe(SECRET);
    });
  });

  describe('decrypt', () => {
    const cipher = cipherWith(`${NEW_KEY},${OLD_KEY}`);
    const value = cipher.encrypt(SECRET, CONTEXT);

    it.each([
      ['iv', 3],
      ['ciphertext', 2],
      ['tag', 1],
    ] as const)('rejects a changed byte in the %s', (_part, partFromEnd) => {
      const tampered = flipByte(value, partFromEnd);

      const error = decryptError(cipher, tampered);

      expect(tampered).not.toBe(value);
      expect(error).toBeInstanceOf(EncryptedValueError);
      expect((error as Error).message).toMatch(/tampered with/);
      expect((error as Error).message).not.toContain(SECRET);
    });

    it('rejects a value under a changed key id', () => {
      const renamed = value.replace(/^v1\.k2\./, 'v1.k1.');

      expect(() => cipher.decrypt(renamed, CONTEXT)).toThrow(EncryptedValueError);
    });

    it('rejects another context', () => {
      const error = decryptError(cipher, value, 'mfa_factors.secret:usr_456');

      expect(error).toBeInstanceOf(EncryptedValueError);
      expect((error as Error).message).toMatch(/another field or record/);
    });

    it('rejects an empty context', () => {
      expect(() => cipher.decrypt(value, '')).toThrow(TypeError);
    });

    const [, , iv = '', ciphertext = '', tag = ''] = value.split('.');
    it.each([
      ['an empty string', ''],
      ['another version', `v2.k2.${iv}.${ciphertext}.${tag}`],
      ['no version', `k2.${iv}.${ciphertext}.${tag}`],
      ['a missing tag', `v1.k2.${iv}.${ciphertext}`],
      ['an empty key id', `v1..${iv}.${ciphertext}.${tag}`],
      ['a short IV', `v1.k2.${iv.slice(0, 8)}.${ciphertext}.${tag}`],
      ['a short tag', `v1.k2.${iv}.${ciphertext}.${tag.slice(0, 8)}`],
      ['standard base64 characters', `v1.k2.${iv}.${ciphertext}+/.${tag}`],
      ['base64 padding', `v1.k2.${iv}.${ciphertext}==.${tag}`],
      ['spaces', `v1.k2.${iv}. ${ciphertext}.${tag}`],
      ['plain text', SECRET],
    ])('rejects %s as malformed', (_case, malformedValue) => {
      const error = decryptError(cipher, malformedValue);

      expect(error).toBeInstanceOf(EncryptedValueError);
      expect((error as Error).message).toMatch(/^encrypted value is malformed/);
      expect(() => cipher.keyIdOf(malformedValue)).toThrow(EncryptedValueError);
    });
  });
});
