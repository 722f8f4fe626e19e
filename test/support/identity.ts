import { expect } from '@jest/globals';
import type { Response } from 'supertest';

import type { SmtpSink, TestApp } from '@codexflow/testing';

export const STRONG_PASSWORD = 'correct horse battery staple 42';

export interface SignedIn {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  cookies: string[];
}

let counter = 0;

/** Returns an address no other test uses. */
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}.${Date.now().toString(36)}.${counter}@example.com`;
}

/** Returns the `token` query parameter of the first link in the mail that starts with `path`. */
export function linkToken(links: string[], path: string): string {
  const link = links.find((candidate) => new URL(candidate).pathname === path);
  if (link === undefined) {
    throw new Error(`no ${path} link in ${JSON.stringify(links)}`);
  }
  const token = new URL(link).searchParams.get('token');
  if (token === null) {
    throw new Error(`the ${path} link has no token`);
  }
  return token;
}

export function setCookies(response: Response): string[] {
  const header = response.headers['set-cookie'] as string[] | string | undefined;
  if (header === undefined) {
    return [];
  }
  return Array.isArray(header) ? header : [header];
}

/** Turns Set-Cookie headers into a Cookie request header. */
export function cookieHeader(cookies: string[]): string {
  return cookies.map((cookie) => cookie.split(';')[0]).join('; ');
}

export function cookieValue(cookies: string[], name: string): string | undefined {
  const cookie = cookies.find((candidate) => candidate.startsWith(`${name}=`));
  return cookie?.split(';')[0]?.slice(name.length + 1);
}

/** Registers through the API and follows the mailed verification link. */
export async function registerVerified(
  testApp: TestApp,
  sink: SmtpSink,
  email = uniqueEmail(),
  password = STRONG_PASSWORD,
): Promise<string> {
  const registered = await testApp.http
    .post('/v1/auth/register')
    .send({ email, password, name: 'Test User' });
  expect(registered.status).toBe(202);

  const mail = await sink.waitForMail({ to: email, subject: /confirm your email address/i });
  const verified = await testApp.http
    .post('/v1/auth/verify-email')
    .send({ token: linkToken(mail.links, '/verify-email') });
  expect(verified.status).toBe(200);
  return email;
}

export async function signIn(
  testApp: TestApp,
  email: string,
  password = STRONG_PASSWORD,
): Promise<SignedIn> {
  const response = await testApp.http.post('/v1/auth/login').send({ email, password });
  expect(response.status).toBe(200);
  return { ...(response.body as Omit<SignedIn, 'cookies'>), cookies: setCookies(response) };
}

/** Decodes a JWT's payload without checking it, to read the claims a test asserts on. */
export function tokenClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
