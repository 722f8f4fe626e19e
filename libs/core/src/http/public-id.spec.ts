import { describe, expect, it } from '@jest/globals';

import { generatePublicId, isPublicId, PublicIdPipe } from './public-id.js';

describe(generatePublicId.name, () => {
  it('returns the prefix and 20 base62 characters', () => {
    for (const prefix of ['usr', 'ses', 'prj', 'tsk', 'cmt', 'att', 'evt'] as const) {
      expect(generatePublicId(prefix)).toMatch(new RegExp(`^${prefix}_[0-9A-Za-z]{20}$`));
    }
  });

  it('returns a different id on each call', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => generatePublicId('tsk')));

    expect(ids.size).toBe(1000);
  });
});

describe(isPublicId.name, () => {
  it.each([
    ['usr_0123456789abcdefghij', true],
    ['usr_short', false],
    ['tsk_0123456789abcdefghij', false],
    [42, false],
  ])('checks %j', (value, expected) => {
    expect(isPublicId(value, 'usr')).toBe(expected);
  });
});

describe(PublicIdPipe.name, () => {
  it('reports a malformed id as not found', () => {
    expect(() => new PublicIdPipe('usr', 'user').transform('../../etc/passwd')).toThrow(
      'user not found',
    );
  });
});
