import { describe, expect, it } from '@jest/globals';

import { generateSecretToken, hashSecretToken, secretsEqual } from './secret-tokens.js';

describe(generateSecretToken.name, () => {
  it('returns 32 random bytes as base64url by default', () => {
    const token = generateSecretToken();

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('returns a different token on each call', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => generateSecretToken()));

    expect(tokens.size).toBe(100);
  });

  it('honours a larger byte count', () => {
    expect(Buffer.from(generateSecretToken(48), 'base64url')).toHaveLength(48);
  });

  it('rejects fewer than 16 bytes', () => {
    expect(() => generateSecretToken(15)).toThrow(RangeError);
    expect(() => generateSecretToken(16.5)).toThrow(RangeError);
  });
});

describe(hashSecretToken.name, () => {
  it('returns hex SHA-256', () => {
    expect(hashSecretToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('differs for different tokens', () => {
    expect(hashSecretToken('token-a')).not.toBe(hashSecretToken('token-b'));
  });
});

describe(secretsEqual.name, () => {
  it('accepts equal secrets', () => {
    expect(secretsEqual('same-secret', 'same-secret')).toBe(true);
  });

  it('rejects different secrets of equal length', () => {
    expect(secretsEqual('secret-a', 'secret-b')).toBe(false);
  });

  it('rejects different lengths without throwing', () => {
    expect(secretsEqual('short', 'a much longer secret')).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });
});
