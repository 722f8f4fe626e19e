import { describe, expect, it, jest } from '@jest/globals';

import { PasswordHasher } from './password-hasher.js';

/** Reads the cost parameters of a PHC string, whose order argon2 0.45 writes as m, p, t. */
function parametersOf(encoded: string): Record<string, number> {
  const section = encoded.split('$')[3] ?? '';
  return Object.fromEntries(
    section.split(',').map((pair) => {
      const [name = '', value = ''] = pair.split('=');
      return [name, Number(value)];
    }),
  );
}

describe(PasswordHasher.name, () => {
  const hasher = new PasswordHasher();

  describe('hash', () => {
    it('encodes argon2id with m=19456,t=2,p=1', async () => {
      const encoded = await hasher.hash('correct horse battery staple');

      expect(encoded.startsWith('$argon2id$v=19$')).toBe(true);
      expect(parametersOf(encoded)).toEqual({ m: 19456, t: 2, p: 1 });
    });

    it('salts each hash', async () => {
      const first = await hasher.hash('correct horse battery staple');
      const second = await hasher.hash('correct horse battery staple');

      expect(first).not.toBe(second);
    });
  });

  describe('verify', () => {
    it('accepts the right password', async () => {
      const encoded = await hasher.hash('correct horse battery staple');

      await expect(hasher.verify(encoded, 'correct horse battery staple')).resolves.toBe(true);
    });

    it('rejects a wrong password', async () => {
      const encoded = await hasher.hash('correct horse battery staple');

      await expect(hasher.verify(encoded, 'Correct horse battery staple')).resolves.toBe(false);
    });

    it('returns false for a malformed hash', async () => {
      await expect(hasher.verify('not-a-hash', 'password')).resolves.toBe(false);
      await expect(hasher.verify('', 'password')).resolves.toBe(false);
      await expect(hasher.verify('$argon2id$v=19$m=19456,t=2,p=1$', 'password')).resolves.toBe(
        false,
      );
    });
  });

  describe('verifyDummy', () => {
    it('returns false for any password', async () => {
      await expect(hasher.verifyDummy('correct horse battery staple')).resolves.toBe(false);
      await expect(hasher.verifyDummy('')).resolves.toBe(false);
    });

    it('verifies against a hash with the same parameters', async () => {
      const dummyHasher = new PasswordHasher();
      const verify = jest.spyOn(dummyHasher, 'verify');

      await dummyHasher.verifyDummy('first attempt');
      await dummyHasher.verifyDummy('second attempt');

      expect(verify).toHaveBeenCalledTimes(2);
      const [firstHash] = verify.mock.calls[0] ?? [];
      const [secondHash] = verify.mock.calls[1] ?? [];
      expect(firstHash?.startsWith('$argon2id$')).toBe(true);
      expect(parametersOf(firstHash ?? '')).toEqual({ m: 19456, t: 2, p: 1 });
      expect(secondHash).toBe(firstHash);
    });
  });
});
