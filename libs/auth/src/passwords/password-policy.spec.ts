import { describe, expect, it } from '@jest/globals';

import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PasswordPolicy } from './password-policy.js';

const TOO_SHORT = 'password must be at least 12 characters';
const TOO_LONG = 'password must be at most 128 characters';
const IS_EMAIL = 'password must not be your e-mail address';
const TOO_COMMON = 'password is too common; choose a less predictable one';
const FEW_DISTINCT =
  'password must contain at least 5 different characters besides spaces at its ends';

describe(PasswordPolicy.name, () => {
  const policy = new PasswordPolicy();

  it('exports the length limits', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
  });

  describe('check', () => {
    const cases: Array<{ name: string; password: string; email?: string; expected: string[] }> = [
      {
        name: 'accepts a long unusual password',
        password: 'violet-anchor-71-quartz',
        expected: [],
      },
      { name: 'rejects 11 characters', password: 'vA7-qz.kW3p', expected: [TOO_SHORT] },
      { name: 'accepts 12 characters', password: 'vA7-qz.kW3p!', expected: [] },
      { name: 'rejects an empty password', password: '', expected: [TOO_SHORT] },
      {
        name: 'accepts 12 emoji code points',
        password: '🦊🐙🌵🚲🎻🧭🪁🍄🛶🧩🦉🌋',
        expected: [],
      },
      {
        name: 'rejects 11 emoji code points',
        password: '🦊🐙🌵🚲🎻🧭🪁🍄🛶🧩🦉',
        expected: [TOO_SHORT],
      },
      { name: 'accepts 128 code points', password: 'x7ab'.repeat(31) + '🦊🐙🌵🚲', expected: [] },
      {
        name: 'rejects 129 code points',
        password: 'x7ab'.repeat(31) + '🦊🐙🌵🚲🎻',
        expected: [TOO_LONG],
      },
      { name: 'rejects twelve spaces', password: ' '.repeat(12), expected: [FEW_DISTINCT] },
      { name: 'rejects one repeated letter', password: 'a'.repeat(16), expected: [FEW_DISTINCT] },
      {
        name: 'rejects four repeated letters',
        password: 'abcd'.repeat(4),
        expected: [FEW_DISTINCT],
      },
      {
        name: 'rejects the e-mail address',
        password: 'Ada.Lovelace@Example.com',
        email: 'ada.lovelace@example.com',
        expected: [IS_EMAIL],
      },
      {
        name: 'rejects the e-mail local part',
        password: 'ADA.LOVELACE.1815',
        email: 'ada.lovelace.1815@example.com',
        expected: [IS_EMAIL],
      },
      {
        name: 'accepts a password containing the e-mail',
        password: 'ada.lovelace@example.com-violet',
        email: 'ada.lovelace@example.com',
        expected: [],
      },
      { name: 'rejects a common password', password: 'password1234', expected: [TOO_COMMON] },
      {
        name: 'rejects a common password with other case and spaces',
        password: '  PassWord1234 ',
        expected: [TOO_COMMON],
      },
      {
        name: 'reports every broken rule',
        password: 'qwerty',
        email: 'qwerty@example.com',
        expected: [TOO_SHORT, IS_EMAIL, TOO_COMMON],
      },
    ];

    it.each(cases)('$name', ({ password, email, expected }) => {
      expect(policy.check(password, email)).toEqual(expected);
    });

    it('counts code points, not UTF-16 units', () => {
      const emoji = '🦊🐙🌵🚲🎻🧭🪁🍄🛶🧩🦉🌋';

      expect(emoji.length).toBe(24);
      expect(policy.check(emoji.slice(0, 22))).toEqual([TOO_SHORT]);
    });
  });
});
