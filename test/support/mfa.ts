import { expect } from '@jest/globals';
import { generate } from 'otplib';

import type { SmtpSink, TestApp } from '@codexflow/testing';

import { setCookies, type SignedIn, STRONG_PASSWORD } from './identity.js';

const TOTP_PERIOD_SECONDS = 30;

/**
 * Computes the TOTP code of the step `offset` steps from now. The server
 * accepts offsets -1, 0 and 1, each code once.
 */
export function totpCode(secret: string, offset = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * TOTP_PERIOD_SECONDS });
}

export interface TotpFactor {
  secret: string;
  recoveryCodes: string[];
}

/** Enrols and activates TOTP with a code of the current step. */
export async function enrollTotp(testApp: TestApp, accessToken: string): Promise<TotpFactor> {
  const enrolled = await testApp.http
    .post('/v1/auth/mfa/totp/enroll')
    .set('Authorization', `Bearer ${accessToken}`);
  expect(enrolled.status).toBe(200);
  const secret = enrolled.body.secret as string;

  const activated = await testApp.http
    .post('/v1/auth/mfa/totp/activate')
    .set('Authorization', `Bearer ${accessToken}`)
    .send({ code: await totpCode(secret) });
  expect(activated.status).toBe(200);
  return { secret, recoveryCodes: activated.body.recoveryCodes as string[] };
}

/** Returns the 6-digit code of the newest CodexFlow code mail to `email`. */
export async function mailedCode(sink: SmtpSink, email: string): Promise<string> {
  const mail = await sink.waitForMail({ to: email, subject: /^Your CodexFlow code/ });
  const code = /\b(\d{6})\b/.exec(mail.subject)?.[1];
  if (code === undefined) {
    throw new Error(`no code in "${mail.subject}"`);
  }
  return code;
}

export async function enrollEmailFactor(
  testApp: TestApp,
  sink: SmtpSink,
  accessToken: string,
  email: string,
): Promise<void> {
  const enrolled = await testApp.http
    .post('/v1/auth/mfa/email/enroll')
    .set('Authorization', `Bearer ${accessToken}`);
  expect(enrolled.status).toBe(202);
  const activated = await testApp.http
    .post('/v1/auth/mfa/email/activate')
    .set('Authorization', `Bearer ${accessToken}`)
    .send({ code: await mailedCode(sink, email) });
  expect(activated.status).toBe(200);
}

/** Requests a step-up code by e-mail and returns it. */
export async function stepUpCode(
  testApp: TestApp,
  sink: SmtpSink,
  accessToken: string,
  email: string,
): Promise<string> {
  const challenge = await testApp.http
    .post('/v1/auth/mfa/step-up/challenge')
    .set('Authorization', `Bearer ${accessToken}`)
    .send({ method: 'email' });
  expect(challenge.status).toBe(202);
  return mailedCode(sink, email);
}

/** Signs in with password and a TOTP code of the given step offset. */
export async function signInWithTotp(
  testApp: TestApp,
  email: string,
  secret: string,
  offset: number,
  password = STRONG_PASSWORD,
): Promise<SignedIn> {
  const first = await testApp.http.post('/v1/auth/login').send({ email, password });
  expect(first.status).toBe(200);
  expect(first.body.mfaRequired).toBe(true);

  const verified = await testApp.http.post('/v1/auth/mfa/verify').send({
    mfaToken: first.body.mfaToken,
    method: 'totp',
    code: await totpCode(secret, offset),
  });
  expect(verified.status).toBe(200);
  return { ...(verified.body as Omit<SignedIn, 'cookies'>), cookies: setCookies(verified) };
}

/**
 * Signs an admin in with MFA: enrols TOTP with a password-only session, signs
 * in with the next step's code, then enrols an e-mail factor for step-up codes.
 */
export async function signInAdminWithMfa(
  testApp: TestApp,
  sink: SmtpSink,
  email: string,
  password: string,
): Promise<string> {
  const passwordOnly = await testApp.http.post('/v1/auth/login').send({ email, password });
  expect(passwordOnly.status).toBe(200);
  const { secret } = await enrollTotp(testApp, passwordOnly.body.accessToken as string);
  const { accessToken } = await signInWithTotp(testApp, email, secret, 1, password);
  await enrollEmailFactor(testApp, sink, accessToken, email);
  return accessToken;
}
