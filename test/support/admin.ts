import { expect } from '@jest/globals';

import { createTestApp, type SmtpSink, type TestApp } from '@codexflow/testing';

import { linkToken, STRONG_PASSWORD, uniqueEmail } from './identity.js';

/** The bootstrap admin a suite's app creates at start. */
export interface AdminCredentials {
  email: string;
  password: string;
}

/** A user who accepted an invitation, signed in with the tokens the acceptance returned. */
export interface InvitedUser {
  id: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

/** Creates a test app that sends mail to `sink` and bootstraps `admin`, plus any `env` settings. */
export function createAppWithAdmin(
  sink: SmtpSink,
  admin: AdminCredentials,
  env: Record<string, string> = {},
): Promise<TestApp> {
  return createTestApp({
    env: {
      SMTP_URL: sink.url,
      ...env,
      BOOTSTRAP_ADMIN_EMAIL: admin.email,
      BOOTSTRAP_ADMIN_PASSWORD: admin.password,
    },
  });
}

/** Invites a user with `role` as the admin, then accepts the mailed invitation. */
export async function inviteUser(
  testApp: TestApp,
  sink: SmtpSink,
  adminToken: string,
  role: string,
): Promise<InvitedUser> {
  const email = uniqueEmail(role);
  const invite = await testApp.http
    .post('/v1/users')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ email, name: `A ${role}`, role });
  expect(invite.status).toBe(201);
  const mail = await sink.waitForMail({ to: email, subject: /invited/i });
  const accepted = await testApp.http
    .post('/v1/auth/invitations/accept')
    .send({ token: linkToken(mail.links, '/accept-invite'), password: STRONG_PASSWORD });
  expect(accepted.status).toBe(200);
  return {
    id: invite.body.id as string,
    email,
    accessToken: accepted.body.accessToken as string,
    refreshToken: accepted.body.refreshToken as string,
  };
}
