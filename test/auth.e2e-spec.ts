import { setTimeout as delay } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';

import { createTestApp, type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import {
  cookieHeader,
  cookieValue,
  linkToken,
  registerVerified,
  setCookies,
  signIn,
  STRONG_PASSWORD,
  tokenClaims,
  uniqueEmail,
} from './support/identity.js';

function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe('identity', () => {
  let sink: SmtpSink;
  let testApp: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createTestApp({
      env: {
        SMTP_URL: sink.url,
        APP_BASE_URL: 'http://app.test',
        REFRESH_REUSE_GRACE_SECONDS: '0',
      },
    });
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('walks from registration to logout', async () => {
    const email = uniqueEmail('walk');
    const registered = await testApp.http
      .post('/v1/auth/register')
      .send({ email, password: STRONG_PASSWORD, name: 'Ada Walker' });
    expect(registered.status).toBe(202);

    const mail = await sink.waitForMail({ to: email, subject: /confirm your email address/i });
    expect(mail.links[0]).toMatch(/^http:\/\/app\.test\/verify-email\?token=/);
    const verified = await testApp.http
      .post('/v1/auth/verify-email')
      .send({ token: linkToken(mail.links, '/verify-email') });
    expect(verified.status).toBe(200);

    const login = await testApp.http
      .post('/v1/auth/login')
      .send({ email, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.tokenType).toBe('Bearer');
    expect(login.body.expiresIn).toBe(900);
    const claims = tokenClaims(login.body.accessToken as string);
    expect(claims.sub).toMatch(/^usr_/);
    expect(claims.sid).toMatch(/^ses_/);
    expect(claims.role).toBe('viewer');
    expect(claims.amr).toEqual(['pwd']);
    expect(decodeHeader(login.body.accessToken as string).alg).toBe('RS256');
    expect(tokenClaims(login.body.idToken as string)).toMatchObject({
      email,
      email_verified: true,
      name: 'Ada Walker',
    });

    const bearerMe = await testApp.http
      .get('/v1/users/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`);
    expect(bearerMe.status).toBe(200);
    expect(bearerMe.body).toMatchObject({ email, role: 'viewer', emailVerified: true });

    const cookies = setCookies(login);
    const cookieMe = await testApp.http.get('/v1/users/me').set('Cookie', cookieHeader(cookies));
    expect(cookieMe.status).toBe(200);

    const withoutCsrf = await testApp.http
      .patch('/v1/users/me')
      .set('Cookie', cookieHeader(cookies))
      .send({ name: 'Ada W.' });
    expect(withoutCsrf.status).toBe(403);
    const withCsrf = await testApp.http
      .patch('/v1/users/me')
      .set('Cookie', cookieHeader(cookies))
      .set('X-CSRF-Token', cookieValue(cookies, 'cf_csrf')!)
      .send({ name: 'Ada W.' });
    expect(withCsrf.status).toBe(200);
    expect(withCsrf.body.name).toBe('Ada W.');

    const refreshed = await testApp.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(login.body.refreshToken);

    const reuse = await testApp.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: login.body.refreshToken });
    expect(reuse.status).toBe(401);
    const descendant = await testApp.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: refreshed.body.refreshToken });
    expect(descendant.status).toBe(401);
    const revokedAccess = await testApp.http
      .get('/v1/users/me')
      .set('Authorization', `Bearer ${refreshed.body.accessToken}`);
    expect(revokedAccess.status).toBe(401);

    const second = await signIn(testApp, email);
    const logout = await testApp.http
      .post('/v1/auth/logout')
      .set('Authorization', `Bearer ${second.accessToken}`);
    expect(logout.status).toBe(204);
    const afterLogout = await testApp.http
      .get('/v1/users/me')
      .set('Authorization', `Bearer ${second.accessToken}`);
    expect(afterLogout.status).toBe(401);
    const refreshAfterLogout = await testApp.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: second.refreshToken });
    expect(refreshAfterLogout.status).toBe(401);
  });

  describe('registration', () => {
    it('returns the same answer for a known address', async () => {
      const email = await registerVerified(testApp, sink);

      const first = await testApp.http
        .post('/v1/auth/register')
        .send({ email: uniqueEmail(), password: STRONG_PASSWORD, name: 'New' });
      const again = await testApp.http
        .post('/v1/auth/register')
        .send({ email: email.toUpperCase(), password: STRONG_PASSWORD, name: 'Someone' });

      expect(again.status).toBe(first.status);
      expect(again.body).toEqual(first.body);
      const warning = await sink.waitForMail({ to: email, subject: /sign-up attempt/i });
      expect(warning.text).not.toMatch(/verify-email\?token=/);
    });

    it('keeps the original password of a known address', async () => {
      const email = await registerVerified(testApp, sink);

      await testApp.http
        .post('/v1/auth/register')
        .send({ email, password: 'another strong passphrase 9', name: 'Intruder' });

      const login = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });
      expect(login.status).toBe(200);
    });

    it.each([
      ['a role', { role: 'admin' }, 'role'],
      ['an unknown field', { isAdmin: true }, 'isAdmin'],
      ['a constructor key', { constructor: { prototype: {} } }, 'constructor'],
    ])('rejects %s in the body', async (_case, extra, field) => {
      const email = uniqueEmail();
      const response = await testApp.http
        .post('/v1/auth/register')
        .send({ email, password: STRONG_PASSWORD, name: 'X', ...extra });

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      const login = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });
      expect(login.status).toBe(401);
    });

    it('rejects a __proto__ key', async () => {
      const response = await testApp.http
        .post('/v1/auth/register')
        .set('Content-Type', 'application/json')
        .send(
          `{"email":"${uniqueEmail()}","password":"${STRONG_PASSWORD}","name":"X","__proto__":{"role":"admin"}}`,
        );

      expect(response.status).toBe(400);
    });

    it.each([
      ['an operator for the e-mail', { email: { $ne: null } }, 'email'],
      ['a number for the name', { name: 42 }, 'name'],
      ['a missing password', { password: undefined }, 'password'],
      ['an e-mail that is not one', { email: 'not-an-email' }, 'email'],
      ['a very long e-mail', { email: `${'a'.repeat(200_000)}@example.com` }, 'email'],
      ['a short password', { password: 'short pass' }, 'password'],
      ['a 129-character password', { password: 'p'.repeat(129) }, 'password'],
      ['a common password', { password: 'Password1234' }, 'password'],
    ])('rejects %s', async (_case, override, field) => {
      const body = { email: uniqueEmail(), password: STRONG_PASSWORD, name: 'X', ...override };

      const response = await testApp.http.post('/v1/auth/register').send(body);

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });

    it('rejects the e-mail address as password', async () => {
      const email = uniqueEmail('samepass');

      const response = await testApp.http
        .post('/v1/auth/register')
        .send({ email, password: email, name: 'X' });

      expect(response.status).toBe(400);
    });

    it('reports every invalid field at once', async () => {
      const response = await testApp.http
        .post('/v1/auth/register')
        .send({ email: 'nope', password: 5, name: '' });

      const fields = new Set(
        (response.body.errors as Array<{ field: string }>).map((e) => e.field),
      );
      expect(fields).toEqual(new Set(['email', 'password', 'name']));
    });

    it('rejects a used verification token', async () => {
      const email = uniqueEmail();
      await testApp.http
        .post('/v1/auth/register')
        .send({ email, password: STRONG_PASSWORD, name: 'X' });
      const mail = await sink.waitForMail({ to: email, subject: /confirm your email address/i });
      const token = linkToken(mail.links, '/verify-email');

      expect((await testApp.http.post('/v1/auth/verify-email').send({ token })).status).toBe(200);
      expect((await testApp.http.post('/v1/auth/verify-email').send({ token })).status).toBe(400);
    });

    it.each([['garbage'], ['A'.repeat(43)], [{ $gt: '' }]])(
      'rejects verification token %j',
      async (token) => {
        const response = await testApp.http.post('/v1/auth/verify-email').send({ token });

        expect(response.status).toBe(400);
      },
    );

    it('resends a verification link', async () => {
      const email = uniqueEmail();
      await testApp.http
        .post('/v1/auth/register')
        .send({ email, password: STRONG_PASSWORD, name: 'X' });
      const first = await sink.waitForMail({ to: email, subject: /confirm your email address/i });

      const resend = await testApp.http.post('/v1/auth/resend-verification').send({ email });
      expect(resend.status).toBe(202);
      const second = await sink.waitForMail({ to: email, subject: /confirm your email address/i });

      const old = await testApp.http
        .post('/v1/auth/verify-email')
        .send({ token: linkToken(first.links, '/verify-email') });
      expect(old.status).toBe(400);
      const fresh = await testApp.http
        .post('/v1/auth/verify-email')
        .send({ token: linkToken(second.links, '/verify-email') });
      expect(fresh.status).toBe(200);
    });

    it('accepts resend for an unknown address', async () => {
      const response = await testApp.http
        .post('/v1/auth/resend-verification')
        .send({ email: uniqueEmail('nobody') });

      expect(response.status).toBe(202);
    });
  });

  describe.each([
    ['/v1/auth/register', { password: STRONG_PASSWORD, name: 'X' }],
    ['/v1/auth/login', { password: STRONG_PASSWORD }],
    ['/v1/auth/resend-verification', {}],
    ['/v1/auth/password/forgot', {}],
  ])('%s with a lone surrogate', (path, rest) => {
    it('rejects the e-mail with 400', async () => {
      // JSON.stringify would escape the surrogate too; the raw text shows what a client sends.
      const fields = Object.entries(rest).map(([key, value]) => `,"${key}":"${value}"`);
      const response = await testApp.http
        .post(path)
        .set('Content-Type', 'application/json')
        .send(`{"email":"\\ud800@example.com"${fields.join('')}}`);

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual([
        { field: 'email', message: 'email is not well-formed Unicode text' },
      ]);
    });

    it('rejects a property name with 400 without repeating it', async () => {
      const response = await testApp.http
        .post(path)
        .set('Content-Type', 'application/json')
        .send(`{"email":"${uniqueEmail()}","hint\\udc00text":"x"}`);

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        {
          field: 'body',
          message: 'the body has a property name that is not well-formed Unicode text',
        },
      ]);
      expect(response.text).not.toMatch(/hint/);
    });
  });

  describe('login', () => {
    it('gives unknown addresses and wrong passwords one answer', async () => {
      const email = await registerVerified(testApp, sink);

      const wrong = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: 'wrong password 123' });
      const unknown = await testApp.http
        .post('/v1/auth/login')
        .send({ email: uniqueEmail('ghost'), password: 'wrong password 123' });

      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(unknown.body.detail).toBe(wrong.body.detail);
    });

    it('rejects an unverified account with 403', async () => {
      const email = uniqueEmail();
      await testApp.http
        .post('/v1/auth/register')
        .send({ email, password: STRONG_PASSWORD, name: 'X' });

      const response = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });

      expect(response.status).toBe(403);
    });

    it('locks the account after five failures', async () => {
      const email = await registerVerified(testApp, sink);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await testApp.http
          .post('/v1/auth/login')
          .send({ email, password: 'wrong password 123' });
        statuses.push(response.status);
      }

      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      const locked = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      await sink.waitForMail({ to: email, subject: /locked/i });
    });

    it('sets httpOnly, SameSite=Strict session cookies', async () => {
      const email = await registerVerified(testApp, sink);

      const { cookies } = await signIn(testApp, email);

      const access = cookies.find((cookie) => cookie.startsWith('cf_access='));
      const refresh = cookies.find((cookie) => cookie.startsWith('cf_refresh='));
      const csrf = cookies.find((cookie) => cookie.startsWith('cf_csrf='));
      expect(access).toMatch(/HttpOnly/);
      expect(access).toMatch(/SameSite=Strict/);
      expect(refresh).toMatch(/Path=\/v1\/auth/);
      expect(refresh).toMatch(/HttpOnly/);
      expect(csrf).not.toMatch(/HttpOnly/);
    });
  });

  describe('access tokens', () => {
    let email: string;
    let session: Awaited<ReturnType<typeof signIn>>;
    let privateKey: string;
    let kid: string;

    beforeAll(async () => {
      email = await registerVerified(testApp, sink);
      session = await signIn(testApp, email);
      const pem = readFileSync(
        join(testApp.config.dataDir, 'keys', 'jwt-private-keys.pem'),
        'utf8',
      );
      privateKey = pem.slice(pem.indexOf('-----BEGIN'));
      kid = decodeHeader(session.accessToken).kid as string;
    });

    function forge(
      payloadChanges: Record<string, unknown>,
      headerChanges: Record<string, unknown> = {},
    ): string {
      const payload = { ...tokenClaims(session.accessToken), ...payloadChanges };
      return jwt.sign(payload, privateKey, {
        algorithm: 'RS256',
        header: { alg: 'RS256', typ: 'at+jwt', kid, ...headerChanges },
      });
    }

    async function status(token: string): Promise<number> {
      const response = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${token}`);
      return response.status;
    }

    it('accepts a token forged with the real key and claims', async () => {
      expect(await status(forge({}))).toBe(200);
    });

    it('publishes the signing key in the JWKS', async () => {
      const response = await testApp.http.get('/.well-known/jwks.json');

      expect(response.status).toBe(200);
      expect(response.body.keys).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kid, kty: 'RSA', alg: 'RS256', use: 'sig' }),
        ]),
      );
      expect(JSON.stringify(response.body)).not.toMatch(/"d"|"p"|"q"/);
    });

    it('rejects alg none', async () => {
      const [, payload] = session.accessToken.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid })).toString(
        'base64url',
      );

      expect(await status(`${header}.${payload}.`)).toBe(401);
    });

    it('rejects HS256 signed with the public key', async () => {
      const jwks = (await testApp.http.get('/.well-known/jwks.json')).body as {
        keys: Array<{ kid: string }>;
      };
      const publicPem = JSON.stringify(jwks.keys[0]);
      const token = jwt.sign(tokenClaims(session.accessToken), publicPem, {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt', kid },
      });

      expect(await status(token)).toBe(401);
    });

    it.each([
      ['an unknown kid', {}, { kid: 'no-such-key' }],
      ['a jku header', {}, { jku: 'http://127.0.0.1:9/keys' }],
      ['an x5u header', {}, { x5u: 'http://127.0.0.1:9/cert' }],
      ['an embedded jwk', {}, { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } }],
      ['an expired token', { exp: Math.floor(Date.now() / 1000) - 120 }, {}],
      ['another audience', { aud: 'someone-else' }, {}],
      ['another issuer', { iss: 'https://evil.example.com' }, {}],
      ['a malformed subject', { sub: 'admin' }, {}],
      ['a forged role', { role: 'superuser' }, {}],
    ])('rejects %s', async (_case, payloadChanges, headerChanges) => {
      expect(await status(forge(payloadChanges, headerChanges))).toBe(401);
    });

    it('rejects a changed payload byte', async () => {
      const [header, payload, signature] = session.accessToken.split('.');
      const claims = tokenClaims(session.accessToken);
      const tampered = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString(
        'base64url',
      );

      expect(payload).not.toBe(tampered);
      expect(await status(`${header}.${tampered}.${signature}`)).toBe(401);
    });

    it('rejects the ID token as an access token', async () => {
      expect(await status(session.idToken)).toBe(401);
    });

    it('rejects the refresh token as an access token', async () => {
      expect(await status(session.refreshToken)).toBe(401);
    });

    it('rejects a missing token with 401 problem+json', async () => {
      const response = await testApp.http.get('/v1/users/me');

      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });
  });

  describe('cookie sessions and CSRF', () => {
    it('requires the CSRF header for cookie logout', async () => {
      const email = await registerVerified(testApp, sink);
      const { cookies } = await signIn(testApp, email);
      const csrf = cookieValue(cookies, 'cf_csrf')!;

      const missing = await testApp.http
        .post('/v1/auth/logout')
        .set('Cookie', cookieHeader(cookies));
      const shorter = await testApp.http
        .post('/v1/auth/logout')
        .set('Cookie', cookieHeader(cookies))
        .set('X-CSRF-Token', csrf.slice(0, 10));
      const other = await testApp.http
        .post('/v1/auth/logout')
        .set('Cookie', cookieHeader(cookies))
        .set('X-CSRF-Token', `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`);
      const matching = await testApp.http
        .post('/v1/auth/logout')
        .set('Cookie', cookieHeader(cookies))
        .set('X-CSRF-Token', csrf);

      expect(missing.status).toBe(403);
      expect(shorter.status).toBe(403);
      expect(other.status).toBe(403);
      expect(matching.status).toBe(204);
    });

    it('refreshes by cookie only with the CSRF header', async () => {
      const email = await registerVerified(testApp, sink);
      const { cookies } = await signIn(testApp, email);

      const missing = await testApp.http
        .post('/v1/auth/refresh')
        .set('Cookie', cookieHeader(cookies))
        .send({});
      const matching = await testApp.http
        .post('/v1/auth/refresh')
        .set('Cookie', cookieHeader(cookies))
        .set('X-CSRF-Token', cookieValue(cookies, 'cf_csrf')!)
        .send({});

      expect(missing.status).toBe(403);
      expect(matching.status).toBe(200);
      expect(cookieValue(setCookies(matching), 'cf_refresh')).toBe(matching.body.refreshToken);
    });

    it('needs no CSRF header for bearer requests', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);

      const response = await testApp.http
        .patch('/v1/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ name: 'Bearer Name' });

      expect(response.status).toBe(200);
    });

    it('issues a CSRF token', async () => {
      const response = await testApp.http.get('/v1/auth/csrf');

      expect(response.status).toBe(200);
      expect(cookieValue(setCookies(response), 'cf_csrf')).toBe(response.body.csrfToken);
    });
  });

  describe('sessions', () => {
    it('lists and ends own sessions', async () => {
      const email = await registerVerified(testApp, sink);
      const first = await signIn(testApp, email);
      const second = await signIn(testApp, email);

      const listed = await testApp.http
        .get('/v1/auth/sessions')
        .set('Authorization', `Bearer ${first.accessToken}`)
        .set('User-Agent', 'jest');
      expect(listed.status).toBe(200);
      expect(listed.body.data).toHaveLength(2);
      expect(listed.body.nextCursor).toBeNull();
      const current = (listed.body.data as Array<{ id: string; current: boolean }>).find(
        (s) => s.current,
      );
      expect(current?.id).toBe(tokenClaims(first.accessToken).sid);

      const secondId = tokenClaims(second.accessToken).sid as string;
      const ended = await testApp.http
        .delete(`/v1/auth/sessions/${secondId}`)
        .set('Authorization', `Bearer ${first.accessToken}`);
      expect(ended.status).toBe(204);
      const secondAccess = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${second.accessToken}`);
      expect(secondAccess.status).toBe(401);
    });

    it("answers 404 for another user's session", async () => {
      const mine = await signIn(testApp, await registerVerified(testApp, sink));
      const theirs = await signIn(testApp, await registerVerified(testApp, sink));

      const response = await testApp.http
        .delete(`/v1/auth/sessions/${tokenClaims(theirs.accessToken).sid as string}`)
        .set('Authorization', `Bearer ${mine.accessToken}`);

      expect(response.status).toBe(404);
      const stillValid = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${theirs.accessToken}`);
      expect(stillValid.status).toBe(200);
    });

    it('answers 404 for a malformed session id', async () => {
      const mine = await signIn(testApp, await registerVerified(testApp, sink));

      const response = await testApp.http
        .delete('/v1/auth/sessions/not-a-session')
        .set('Authorization', `Bearer ${mine.accessToken}`);

      expect(response.status).toBe(404);
    });
  });

  describe('passwords', () => {
    it('resets a forgotten password and ends every session', async () => {
      const email = await registerVerified(testApp, sink);
      const before = await signIn(testApp, email);

      const forgot = await testApp.http.post('/v1/auth/password/forgot').send({ email });
      expect(forgot.status).toBe(202);
      const mail = await sink.waitForMail({ to: email, subject: /reset/i });
      const token = linkToken(mail.links, '/reset-password');

      const weak = await testApp.http
        .post('/v1/auth/password/reset')
        .send({ token, newPassword: 'short' });
      expect(weak.status).toBe(400);
      const reset = await testApp.http
        .post('/v1/auth/password/reset')
        .send({ token, newPassword: 'a brand new passphrase 77' });
      expect(reset.status).toBe(204);
      const reused = await testApp.http
        .post('/v1/auth/password/reset')
        .send({ token, newPassword: 'yet another passphrase 88' });
      expect(reused.status).toBe(400);

      const oldAccess = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${before.accessToken}`);
      expect(oldAccess.status).toBe(401);
      const oldPassword = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });
      expect(oldPassword.status).toBe(401);
      await signIn(testApp, email, 'a brand new passphrase 77');
    });

    it('answers forgot the same for an unknown address', async () => {
      const known = await registerVerified(testApp, sink);

      const forKnown = await testApp.http.post('/v1/auth/password/forgot').send({ email: known });
      const forUnknown = await testApp.http
        .post('/v1/auth/password/forgot')
        .send({ email: uniqueEmail('nobody') });

      expect(forUnknown.status).toBe(forKnown.status);
      expect(forUnknown.body).toEqual(forKnown.body);
    });

    it('changes the password and ends other sessions', async () => {
      const email = await registerVerified(testApp, sink);
      const current = await signIn(testApp, email);
      const other = await signIn(testApp, email);

      const wrong = await testApp.http
        .post('/v1/auth/password/change')
        .set('Authorization', `Bearer ${current.accessToken}`)
        .send({ currentPassword: 'not my password 1', newPassword: 'changed passphrase 55' });
      expect(wrong.status).toBe(403);

      const changed = await testApp.http
        .post('/v1/auth/password/change')
        .set('Authorization', `Bearer ${current.accessToken}`)
        .send({ currentPassword: STRONG_PASSWORD, newPassword: 'changed passphrase 55' });
      expect(changed.status).toBe(204);

      const currentStill = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${current.accessToken}`);
      expect(currentStill.status).toBe(200);
      const otherGone = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${other.accessToken}`);
      expect(otherGone.status).toBe(401);
      await signIn(testApp, email, 'changed passphrase 55');
    });

    it('counts wrong current passwords towards the account lockout', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      const change = (currentPassword: string) =>
        testApp.http
          .post('/v1/auth/password/change')
          .set('Authorization', `Bearer ${accessToken}`)
          .send({ currentPassword, newPassword: 'changed passphrase 56' });

      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        statuses.push((await change(`wrong guess number ${attempt}`)).status);
      }
      expect(statuses).toEqual([403, 403, 403, 403, 429]);
      await sink.waitForMail({ to: email, subject: /locked/i });

      // Locked for the right password too, on this route and at sign-in.
      const right = await change(STRONG_PASSWORD);
      expect(right.status).toBe(429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
      const login = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });
      expect(login.status).toBe(429);
    });

    it('checks concurrent current passwords one at a time', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);

      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, attempt) =>
          testApp.http
            .post('/v1/auth/password/change')
            .set('Authorization', `Bearer ${accessToken}`)
            .send({
              currentPassword: `wrong guess ${attempt}`,
              newPassword: 'changed passphrase 57',
            }),
        ),
      );

      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([...Array(4).fill(403), ...Array(8).fill(429)]);
      await sink.waitForMail({ to: email, subject: /locked/i });
      await delay(300);
      const lockMails = sink.mails.filter(
        (mail) => mail.to.includes(email) && /locked/i.test(mail.subject),
      );
      expect(lockMails).toHaveLength(1);
    });

    it('forgets wrong passwords after a right current password', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      const change = (currentPassword: string, newPassword: string) =>
        testApp.http
          .post('/v1/auth/password/change')
          .set('Authorization', `Bearer ${accessToken}`)
          .send({ currentPassword, newPassword });

      for (let attempt = 0; attempt < 4; attempt += 1) {
        expect((await change(`wrong guess ${attempt}`, 'changed passphrase 58')).status).toBe(403);
      }
      expect((await change(STRONG_PASSWORD, 'changed passphrase 58')).status).toBe(204);

      const wrongLogin = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: 'wrong guess 5' });
      expect(wrongLogin.status).toBe(401);
    });
  });

  describe('profile', () => {
    it('changes the e-mail address only after verification', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      const newEmail = uniqueEmail('moved');

      const patched = await testApp.http
        .patch('/v1/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ email: newEmail });
      expect(patched.status).toBe(200);
      expect(patched.body.email).toBe(email);
      expect(patched.body.pendingEmail).toBe(newEmail);

      const mail = await sink.waitForMail({ to: newEmail });
      const confirmed = await testApp.http
        .post('/v1/auth/verify-email')
        .send({ token: linkToken(mail.links, '/verify-email') });
      expect(confirmed.status).toBe(200);

      const me = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${accessToken}`);
      expect(me.body.email).toBe(newEmail);
      expect(me.body.pendingEmail).toBeNull();
      await signIn(testApp, newEmail);
    });

    it.each([
      [{ role: 'admin' }],
      [{ name: '' }],
      [{ name: 'x'.repeat(101) }],
      [{ email: 'nope' }],
      [{ emailVerified: true }],
    ])('rejects %j', async (body) => {
      const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));

      const response = await testApp.http
        .patch('/v1/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .send(body);

      expect(response.status).toBe(400);
    });
  });
});
