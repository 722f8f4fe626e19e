import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin } from './support/admin.js';
import {
  cookieHeader,
  linkToken,
  registerVerified,
  signIn,
  STRONG_PASSWORD,
  tokenClaims,
  uniqueEmail,
} from './support/identity.js';
import { signInAdminWithMfa, stepUpCode } from './support/mfa.js';

const ADMIN_EMAIL = 'abuse.admin@example.com';
const ADMIN_PASSWORD = 'bootstrap admin passphrase 3';

describe('identity under abuse', () => {
  let sink: SmtpSink;
  let testApp: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(
      sink,
      { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      { REFRESH_REUSE_GRACE_SECONDS: '0' },
    );
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('rotates a refresh token once under parallel use', async () => {
    const { refreshToken } = await signIn(testApp, await registerVerified(testApp, sink));

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        testApp.http.post('/v1/auth/refresh').send({ refreshToken }),
      ),
    );

    const statuses = responses.map((response) => response.status);
    // With no reuse grace, the other requests count as reuse and may revoke the family before
    // the first one finishes. So at most one succeeds, and the family never forks.
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(1);
    expect(statuses.filter((status) => status !== 200 && status !== 401)).toEqual([]);
  });

  it('locks the account under a parallel burst of guesses', async () => {
    const email = await registerVerified(testApp, sink);

    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        testApp.http.post('/v1/auth/login').send({ email, password: `wrong password ${index}` }),
      ),
    );
    const right = await testApp.http
      .post('/v1/auth/login')
      .send({ email, password: STRONG_PASSWORD });

    const statuses = guesses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(4);
    expect(statuses.filter((status) => status === 429)).toHaveLength(8);
    expect(right.status).toBe(429);
    await sink.waitForMail({ to: email, subject: /locked/i });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lockMails = sink.mails.filter(
      (mail) => mail.to.includes(email) && /locked/i.test(mail.subject),
    );
    expect(lockMails).toHaveLength(1);
  });

  it('requires CSRF for a cookie refresh with a null body token', async () => {
    const { cookies } = await signIn(testApp, await registerVerified(testApp, sink));

    const response = await testApp.http
      .post('/v1/auth/refresh')
      .set('Cookie', cookieHeader(cookies))
      .send({ refreshToken: null });

    expect(response.status).toBe(400);
  });

  it('rejects deeply nested JSON with 400', async () => {
    const nested = `${'['.repeat(1500)}"x"${']'.repeat(1500)}`;

    const response = await testApp.http
      .post('/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(`{"email":${nested},"password":"x"}`);

    expect(response.status).toBe(400);
  });

  it.each([[{ email: null }], [{ name: null }]])('rejects profile change %j', async (body) => {
    const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));

    const response = await testApp.http
      .patch('/v1/users/me')
      .set('Authorization', `Bearer ${accessToken}`)
      .send(body);

    expect(response.status).toBe(400);
  });

  it('rejects an e-mail change to an address taken meanwhile with 409', async () => {
    const email = await registerVerified(testApp, sink);
    const { accessToken } = await signIn(testApp, email);
    const target = uniqueEmail('taken');
    await testApp.http
      .patch('/v1/users/me')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ email: target });
    const mail = await sink.waitForMail({ to: target });
    await registerVerified(testApp, sink, target);

    const response = await testApp.http
      .post('/v1/auth/verify-email')
      .send({ token: linkToken(mail.links, '/verify-email') });

    expect(response.status).toBe(409);
  });

  it.each([['"ada"@example.com'], ['аda@example.com'], ['ADMİN@example.com']])(
    'rejects the look-alike address %s',
    async (email) => {
      const response = await testApp.http
        .post('/v1/auth/register')
        .send({ email, password: STRONG_PASSWORD, name: 'Look Alike' });

      expect(response.status).toBe(400);
    },
  );

  it('gives an erased account the plain 401, never a lock', async () => {
    const admin = await adminSession();
    const email = await registerVerified(testApp, sink);
    const { accessToken } = await signIn(testApp, email);
    await testApp.http
      .delete(`/v1/users/${tokenClaims(accessToken).sub as string}`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ mfaCode: await stepUpCode(testApp, sink, admin, ADMIN_EMAIL) });

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const response = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: 'wrong password 123' });
      statuses.push(response.status);
    }

    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
  });

  let adminToken: string | undefined;

  /** Signs the bootstrap admin in with MFA once and reuses the token. */
  async function adminSession(): Promise<string> {
    adminToken ??= await signInAdminWithMfa(testApp, sink, ADMIN_EMAIL, ADMIN_PASSWORD);
    return adminToken;
  }
});
