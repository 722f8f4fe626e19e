import { describe, expect, it } from '@jest/globals';

import { maskEmail, maskLogValue, maskText } from './mask.js';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c3JfMTIzIiwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

/** Values that must never appear anywhere in masked output, each inside the input that carries it. */
const SECRETS_IN_CONTEXT: Array<[string, string, unknown]> = [
  ['password field', 'hunter2-correct-horse', { password: 'hunter2-correct-horse' }],
  [
    'nested new password',
    'Tr0ub4dor&3-long-one',
    { body: { user: { newPassword: 'Tr0ub4dor&3-long-one' } } },
  ],
  ['current password', 'my-current-secret-9', { currentPassword: 'my-current-secret-9' }],
  ['authorization header', JWT, { headers: { authorization: `Bearer ${JWT}` } }],
  [
    'Authorization header, any case',
    'dXNlcjpwYXNzd29yZA',
    { headers: { Authorization: 'Basic dXNlcjpwYXNzd29yZA' } },
  ],
  [
    'cookie header',
    'cf_access=abcdef123456789',
    { headers: { cookie: 'cf_access=abcdef123456789; cf_csrf=zz' } },
  ],
  [
    'set-cookie list',
    'refresh-token-value-1234',
    { 'set-cookie': ['cf_refresh=refresh-token-value-1234; HttpOnly'] },
  ],
  ['refresh token', 'rt_9f8e7d6c5b4a39281706', { refreshToken: 'rt_9f8e7d6c5b4a39281706' }],
  ['api key', 'sk_live_0123456789abcdef', { apiKey: 'sk_live_0123456789abcdef' }],
  [
    'x-api-key header',
    'key-0123456789abcdef',
    { headers: { 'x-api-key': 'key-0123456789abcdef' } },
  ],
  ['client secret', 'cs-0123456789abcdef', { oauth: { clientSecret: 'cs-0123456789abcdef' } }],
  ['mfa code', '492817', { mfaCode: '492817' }],
  ['recovery codes', 'ABCD-EFGH-IJKL', { recoveryCodes: ['ABCD-EFGH-IJKL', 'MNOP-QRST-UVWX'] }],
  [
    'private key',
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
    { privateKey: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC' },
  ],
  ['JWT in free text', JWT, { msg: `verifying ${JWT} failed` }],
  [
    'bearer token in an error message',
    'opaque-token-1234567890',
    new Error('rejected Bearer opaque-token-1234567890'),
  ],
  [
    'database password in a URI',
    's3cr3tpw',
    { err: new Error('connect mongodb://admin:s3cr3tpw@db:27017 failed') },
  ],
  [
    'token in a query string',
    'reset-token-abcdef',
    { url: '/reset-password?token=reset-token-abcdef&x=1' },
  ],
  [
    'password inside an array of objects',
    'pw-in-array-0001',
    { users: [{ password: 'pw-in-array-0001' }] },
  ],
  [
    'error with a body property',
    'body-pass-123456',
    Object.assign(new Error('bad'), { body: { password: 'body-pass-123456' } }),
  ],
  ['e-mail local part', 'jonathan.smith', { email: 'jonathan.smith@example.com' }],
  ['e-mail in free text', 'margaret', { msg: 'login failed for margaret@example.org' }],
  ['e-mail without a top-level domain', 'robert', { msg: 'robert@localhost' }],
  ['e-mail with an international domain', 'jürgen', { msg: 'jürgen@bücher.de' }],
  [
    'refresh token in free text',
    'rt-secret-value-1',
    { msg: 'refreshToken=rt-secret-value-1 sent' },
  ],
  [
    'cookie pair in free text',
    'cookie-val-0001',
    { msg: 'got cf_refresh=cookie-val-0001; path=/' },
  ],
  ['session id in a path parameter', 'ABCDEF123456', { url: '/x;jsessionid=ABCDEF123456' }],
  ['pwd field', 'short-pw-01', { pwd: 'short-pw-01' }],
  ['phone number', '+14155550100', { phone: '+14155550100' }],
  ['TOTP secret', 'JBSWY3DPEHPK3PXP', { totp: 'JBSWY3DPEHPK3PXP' }],
];

describe(maskLogValue.name, () => {
  it.each(SECRETS_IN_CONTEXT)('removes %s', (_name, secret, input) => {
    const output = JSON.stringify(maskLogValue(input));

    expect(output).not.toContain(secret);
  });

  it('cuts tokens to a short prefix', () => {
    expect(maskLogValue({ refreshToken: 'rt_9f8e7d6c5b4a39281706' })).toEqual({
      refreshToken: 'rt_9…[REDACTED]',
    });
  });

  it('keeps the first three characters and domain of an e-mail address', () => {
    expect(maskLogValue({ email: 'jonathan.smith@example.com' })).toEqual({
      email: 'jon***@example.com',
    });
  });

  it('keeps ordinary fields unchanged', () => {
    const input = { statusCode: 200, method: 'GET', userId: 'usr_123', durationMs: 12, ok: true };

    expect(maskLogValue(input)).toEqual(input);
  });

  it('describes errors by type, message and stack', () => {
    const masked = maskLogValue<unknown>({ err: new TypeError('boom') }) as {
      err: Record<string, unknown>;
    };

    expect(masked.err.type).toBe('TypeError');
    expect(masked.err.message).toBe('boom');
    expect(masked.err.stack).toEqual(expect.stringContaining('TypeError: boom'));
  });

  it('survives circular references', () => {
    const input: Record<string, unknown> = { name: 'loop' };
    input.self = input;

    expect(maskLogValue(input)).toEqual({ name: 'loop', self: '[Circular]' });
  });

  it('does not change its input', () => {
    const input = { password: 'hunter2-correct-horse' };

    maskLogValue(input);

    expect(input.password).toBe('hunter2-correct-horse');
  });
});

describe(maskEmail.name, () => {
  it('masks every address in a text', () => {
    expect(maskEmail('from ab@x.io to carol.jones@mail.example.com')).toBe(
      'from ab***@x.io to car***@mail.example.com',
    );
  });
});

describe(maskText.name, () => {
  it('keeps the user name of a connection string but not its password', () => {
    expect(maskText('mongodb://admin:s3cr3tpw@db:27017/x')).toBe(
      'mongodb://admin:[REDACTED]@db:27017/x',
    );
  });
});
