import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import {
  type SmsReceiver,
  type SmtpSink,
  startSmsReceiver,
  startSmtpSink,
  type TestApp,
} from '@codexflow/testing';

import { createAppWithAdmin } from './support/admin.js';
import {
  linkToken,
  registerVerified,
  setCookies,
  signIn,
  STRONG_PASSWORD,
  tokenClaims,
} from './support/identity.js';
import {
  enrollEmailFactor,
  enrollTotp,
  mailedCode,
  signInWithTotp,
  stepUpCode,
  totpCode,
} from './support/mfa.js';

const ADMIN_EMAIL = 'mfa.admin@example.com';
const ADMIN_PASSWORD = 'bootstrap admin passphrase 2';

describe('multi-factor authentication', () => {
  let sink: SmtpSink;
  let sms: SmsReceiver;
  let testApp: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    sms = await startSmsReceiver();
    testApp = await createAppWithAdmin(
      sink,
      { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      { SMS_WEBHOOK_URL: sms.url },
    );
  });

  afterAll(async () => {
    await testApp.close();
    await sms.close();
    await sink.close();
  });

  function database() {
    return testApp.app.get<Connection>(getConnectionToken()).db!;
  }

  async function startLogin(email: string, password = STRONG_PASSWORD) {
    const response = await testApp.http.post('/v1/auth/login').send({ email, password });
    expect(response.status).toBe(200);
    return response;
  }

  describe('TOTP', () => {
    it('enrols, stores the secret encrypted and asks for it at login', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);

      const enrolled = await testApp.http
        .post('/v1/auth/mfa/totp/enroll')
        .set('Authorization', `Bearer ${accessToken}`);
      expect(enrolled.status).toBe(200);
      const secret = enrolled.body.secret as string;
      expect(enrolled.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/CodexFlow:/);
      expect(enrolled.body.otpauthUrl).toContain('issuer=CodexFlow');

      const second = await testApp.http
        .post('/v1/auth/mfa/totp/enroll')
        .set('Authorization', `Bearer ${accessToken}`);
      expect(second.status).toBe(409);

      const wrong = await testApp.http
        .post('/v1/auth/mfa/totp/activate')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ code: (Number(await totpCode(secret)) ^ 1).toString().padStart(6, '0') });
      expect(wrong.status).toBe(400);

      const activated = await testApp.http
        .post('/v1/auth/mfa/totp/activate')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ code: await totpCode(secret) });
      expect(activated.status).toBe(200);
      expect(activated.body.recoveryCodes).toHaveLength(10);
      expect(new Set(activated.body.recoveryCodes as string[]).size).toBe(10);

      const stored = JSON.stringify(await database().collection('mfa_factors').find({}).toArray());
      expect(stored).not.toContain(secret);
      const me = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${accessToken}`);
      expect(me.body.mfa).toBe(true);

      const login = await startLogin(email);
      expect(login.body).toEqual({
        mfaRequired: true,
        mfaToken: expect.any(String),
        methods: ['totp', 'recovery'],
      });
      expect(login.body.accessToken).toBeUndefined();
      expect(setCookies(login)).toEqual([]);

      const code = await totpCode(secret, 1);
      const verified = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: login.body.mfaToken, method: 'totp', code });
      expect(verified.status).toBe(200);
      expect(tokenClaims(verified.body.accessToken as string).amr).toEqual(['pwd', 'mfa']);

      const replayLogin = await startLogin(email);
      const replay = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: replayLogin.body.mfaToken, method: 'totp', code });
      expect(replay.status).toBe(401);
    });

    it('rejects activation without enrolment', async () => {
      const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));

      const response = await testApp.http
        .post('/v1/auth/mfa/totp/activate')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ code: '123456' });

      expect(response.status).toBe(409);
    });

    it.each([['12345'], ['1234567'], ['12a456'], ['']])(
      'rejects activation code %j',
      async (code) => {
        const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));

        const response = await testApp.http
          .post('/v1/auth/mfa/totp/activate')
          .set('Authorization', `Bearer ${accessToken}`)
          .send({ code });

        expect(response.status).toBe(400);
      },
    );
  });

  describe('login second step', () => {
    it('ends an mfaToken after five wrong codes', async () => {
      const email = await registerVerified(testApp, sink);
      const { secret } = await enrollTotp(testApp, (await signIn(testApp, email)).accessToken);
      const login = await startLogin(email);

      for (let attempt = 0; attempt < 5; attempt += 1) {
        const wrong = await testApp.http
          .post('/v1/auth/mfa/verify')
          .send({ mfaToken: login.body.mfaToken, method: 'totp', code: '000000' });
        expect(wrong.status).toBe(401);
      }
      const right = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: login.body.mfaToken, method: 'totp', code: await totpCode(secret, 1) });
      expect(right.status).toBe(401);
    });

    it('ends an mfaToken after five wrong codes sent in parallel', async () => {
      const email = await registerVerified(testApp, sink);
      const { secret } = await enrollTotp(testApp, (await signIn(testApp, email)).accessToken);
      const login = await startLogin(email);

      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          testApp.http.post('/v1/auth/mfa/verify').send({
            mfaToken: login.body.mfaToken,
            method: 'totp',
            code: String(100000 + index),
          }),
        ),
      );
      const right = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: login.body.mfaToken, method: 'totp', code: await totpCode(secret, 1) });

      expect(right.status).toBe(401);
      expect(right.body.detail).toMatch(/used up/);
    });

    it.each([
      ['letters in the code', { method: 'totp', code: 'abcdef' }, 400],
      ['a short code', { method: 'totp', code: '123' }, 400],
      ['an unknown method', { method: 'carrier-pigeon', code: '123456' }, 400],
      ['a foreign mfaToken', { mfaToken: 'A'.repeat(43), method: 'totp', code: '123456' }, 401],
    ])('rejects %s', async (_case, body, status) => {
      const email = await registerVerified(testApp, sink);
      await enrollTotp(testApp, (await signIn(testApp, email)).accessToken);
      const login = await startLogin(email);

      const response = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: login.body.mfaToken, ...body });

      expect(response.status).toBe(status);
    });

    it('accepts each recovery code once and tells the owner', async () => {
      const email = await registerVerified(testApp, sink);
      const { recoveryCodes } = await enrollTotp(
        testApp,
        (await signIn(testApp, email)).accessToken,
      );
      const code = recoveryCodes[0]!;

      const first = await startLogin(email);
      const used = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: first.body.mfaToken, method: 'recovery', code: code.toLowerCase() });
      expect(used.status).toBe(200);
      await sink.waitForMail({ to: email, subject: /recovery code was used/i });

      const second = await startLogin(email);
      const reused = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: second.body.mfaToken, method: 'recovery', code });
      expect(reused.status).toBe(401);
    });

    it('keeps the factor after a password reset', async () => {
      const email = await registerVerified(testApp, sink);
      await enrollTotp(testApp, (await signIn(testApp, email)).accessToken);

      await testApp.http.post('/v1/auth/password/forgot').send({ email });
      const mail = await sink.waitForMail({ to: email, subject: /reset/i });
      const reset = await testApp.http.post('/v1/auth/password/reset').send({
        token: linkToken(mail.links, '/reset-password'),
        newPassword: 'reset passphrase 2026',
      });
      expect(reset.status).toBe(204);

      const login = await startLogin(email, 'reset passphrase 2026');
      expect(login.body.mfaRequired).toBe(true);
    });
  });

  describe('e-mail and SMS factors', () => {
    it('signs in with a mailed code', async () => {
      const email = await registerVerified(testApp, sink);
      await enrollEmailFactor(testApp, sink, (await signIn(testApp, email)).accessToken, email);

      const login = await startLogin(email);
      expect(login.body.methods).toEqual(['email', 'recovery']);
      const challenge = await testApp.http
        .post('/v1/auth/mfa/challenge')
        .send({ mfaToken: login.body.mfaToken, method: 'email' });
      expect(challenge.status).toBe(202);
      const verified = await testApp.http.post('/v1/auth/mfa/verify').send({
        mfaToken: login.body.mfaToken,
        method: 'email',
        code: await mailedCode(sink, email),
      });
      expect(verified.status).toBe(200);
    });

    it('enrols a phone, stores it encrypted and signs in with a texted code', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      const phone = '+14155550123';

      const enrolled = await testApp.http
        .post('/v1/auth/mfa/sms/enroll')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ phone });
      expect(enrolled.status).toBe(202);
      const enrolment = await sms.waitForSms({ phone });
      const activated = await testApp.http
        .post('/v1/auth/mfa/sms/activate')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ code: enrolment.code });
      expect(activated.status).toBe(200);
      const stored = JSON.stringify(await database().collection('mfa_factors').find({}).toArray());
      expect(stored).not.toContain('4155550123');

      const login = await startLogin(email);
      await testApp.http
        .post('/v1/auth/mfa/challenge')
        .send({ mfaToken: login.body.mfaToken, method: 'sms' });
      const texted = await sms.waitForSms({ phone });
      const verified = await testApp.http
        .post('/v1/auth/mfa/verify')
        .send({ mfaToken: login.body.mfaToken, method: 'sms', code: texted.code });
      expect(verified.status).toBe(200);
    });

    it.each([
      ['4155550123'],
      ['+0123456789'],
      ['+1 415 555 0123'],
      ['+1234567890123456'],
      [{ $ne: '' }],
    ])('rejects phone %j', async (phone) => {
      const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));

      const response = await testApp.http
        .post('/v1/auth/mfa/sms/enroll')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ phone });

      expect(response.status).toBe(400);
    });
  });

  describe('step-up', () => {
    it('requires a fresh code for a password change', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      await enrollEmailFactor(testApp, sink, accessToken, email);
      const change = { currentPassword: STRONG_PASSWORD, newPassword: 'stepped up passphrase 1' };

      const without = await testApp.http
        .post('/v1/auth/password/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send(change);
      expect(without.status).toBe(403);
      expect(without.body.detail).toMatch(/MFA is required/);

      const code = await stepUpCode(testApp, sink, accessToken, email);
      const withCode = await testApp.http
        .post('/v1/auth/password/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ ...change, mfaCode: code });
      expect(withCode.status).toBe(204);

      const reused = await testApp.http
        .post('/v1/auth/password/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({
          currentPassword: change.newPassword,
          newPassword: 'another passphrase 3',
          mfaCode: code,
        });
      expect(reused.status).toBe(403);
    });

    it('stops step-up guessing after five wrong codes', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      await enrollEmailFactor(testApp, sink, accessToken, email);
      const code = await stepUpCode(testApp, sink, accessToken, email);
      const change = (mfaCode: string) =>
        testApp.http
          .post('/v1/auth/password/change')
          .set('Authorization', `Bearer ${accessToken}`)
          .send({ currentPassword: STRONG_PASSWORD, newPassword: 'guessed passphrase 7', mfaCode });

      const wrong = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        wrong.push((await change(String(200000 + attempt))).status);
      }
      const throttled = await change(code);

      expect(wrong).toEqual([403, 403, 403, 403, 403]);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('needs no code from users without MFA', async () => {
      const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));

      const response = await testApp.http
        .post('/v1/auth/password/change')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ currentPassword: STRONG_PASSWORD, newPassword: 'no factor passphrase 9' });

      expect(response.status).toBe(204);
    });
  });

  describe('admins', () => {
    it('need MFA for everything but enrolment, profile, sessions and logout', async () => {
      const passwordOnly = await signIn(testApp, ADMIN_EMAIL, ADMIN_PASSWORD);
      const auth = `Bearer ${passwordOnly.accessToken}`;

      expect((await testApp.http.get('/v1/users/me').set('Authorization', auth)).status).toBe(200);
      expect((await testApp.http.get('/v1/auth/sessions').set('Authorization', auth)).status).toBe(
        200,
      );
      const list = await testApp.http.get('/v1/users').set('Authorization', auth);
      expect(list.status).toBe(403);
      expect(list.body.detail).toMatch(/MFA is required/);

      const { secret } = await enrollTotp(testApp, passwordOnly.accessToken);
      const withMfa = await signInWithTotp(testApp, ADMIN_EMAIL, secret, 1, ADMIN_PASSWORD);
      const listed = await testApp.http
        .get('/v1/users')
        .set('Authorization', `Bearer ${withMfa.accessToken}`);
      expect(listed.status).toBe(200);

      const lastFactor = await testApp.http
        .delete('/v1/auth/mfa/totp')
        .set('Authorization', `Bearer ${withMfa.accessToken}`)
        .send({ code: await totpCode(secret, -1) });
      expect(lastFactor.status).toBe(409);

      await enrollEmailFactor(testApp, sink, withMfa.accessToken, ADMIN_EMAIL);
      const keepLast = await testApp.http
        .delete('/v1/auth/mfa/totp')
        .set('Authorization', `Bearer ${withMfa.accessToken}`)
        .send({ code: await stepUpCode(testApp, sink, withMfa.accessToken, ADMIN_EMAIL) });
      expect(keepLast.status).toBe(204);
    });
  });
});
