import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { type AdminCredentials, createAppWithAdmin, inviteUser } from './support/admin.js';
import { type ClientResponse, listenOnLoopback, requestFrom } from './support/client-address.js';
import { STRONG_PASSWORD, uniqueEmail } from './support/identity.js';
import { signInAdminWithMfa } from './support/mfa.js';
import { metricsPortOf, sampleValue, scrapeMetrics } from './support/metrics.js';

/** The limits a deployment gets when it sets none. */
const DEFAULT_LIMITS = {
  RATE_LIMIT_IP_MAX: '2000',
  RATE_LIMIT_IP_WINDOW_SECONDS: '300',
  RATE_LIMIT_USER_MAX: '10000',
  RATE_LIMIT_USER_WINDOW_SECONDS: '86400',
  RATE_LIMIT_AUTH_MAX: '10',
  RATE_LIMIT_AUTH_WINDOW_SECONDS: '60',
};

const admin: AdminCredentials = { email: 'limits-admin@example.com', password: STRONG_PASSWORD };

function expectTooManyRequests(response: ClientResponse, limit: number, window: number): void {
  expect(response.status).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(window);
  expect(response.headers['ratelimit-limit']).toBe(String(limit));
  expect(response.headers['ratelimit-remaining']).toBe('0');
  expect(response.headers['ratelimit-policy']).toBe(`${limit};w=${window}`);
  expect(response.body?.detail).toMatch(/^Too many requests/);
}

function login(from: string, port: number, email: string, headers: Record<string, string> = {}) {
  return requestFrom(from, port, '/v1/auth/login', {
    method: 'POST',
    json: { email, password: 'not the password 123' },
    headers,
  });
}

async function startApp(sink: SmtpSink, env: Record<string, string>) {
  const testApp = await createAppWithAdmin(sink, admin, { ...DEFAULT_LIMITS, ...env });
  const port = await listenOnLoopback(testApp);
  return { testApp, port };
}

/** Signs the admin in with TOTP, which admins need before they manage users. */
function adminToken(testApp: TestApp, sink: SmtpSink): Promise<string> {
  return signInAdminWithMfa(testApp, sink, admin.email, admin.password);
}

describe('rate limits with the default settings', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    sink = await startSmtpSink();
    ({ testApp, port } = await startApp(sink, {}));
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('tells each client its standing in the RateLimit headers', async () => {
    const first = await requestFrom('127.0.0.2', port, '/v1/auth/csrf');
    const second = await requestFrom('127.0.0.2', port, '/v1/auth/csrf');

    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('2000');
    expect(first.headers['ratelimit-policy']).toBe('2000;w=300');
    expect(Number(first.headers['ratelimit-remaining'])).toBe(1999);
    expect(Number(second.headers['ratelimit-remaining'])).toBe(1998);
    expect(Number(first.headers['ratelimit-reset'])).toBeLessThanOrEqual(300);
  });

  it('allows 2000 requests per address in five minutes, then answers 429', async () => {
    const from = '127.0.0.3';
    const statuses: number[] = [];
    for (let batch = 0; batch < 100; batch += 1) {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => requestFrom(from, port, '/v1/auth/csrf')),
      );
      statuses.push(...responses.map((response) => response.status));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(2000);

    expectTooManyRequests(await requestFrom(from, port, '/v1/auth/csrf'), 2000, 300);
    // Another address and the orchestrator's probes are not affected.
    expect((await requestFrom('127.0.0.4', port, '/v1/auth/csrf')).status).toBe(200);
    expect((await requestFrom(from, port, '/health/ready')).status).toBe(200);
  });

  it('allows 10 sign-in attempts per address a minute', async () => {
    const from = '127.0.0.5';
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect((await login(from, port, uniqueEmail('ip-limit'))).status).toBe(401);
    }

    const limited = await login(from, port, uniqueEmail('ip-limit'));
    expectTooManyRequests(limited, 10, 60);
    expect(limited.body?.detail).toMatch(/this client address on this route/);
    // The same accounts from another address are still only refused for their passwords.
    expect((await login('127.0.0.6', port, uniqueEmail('ip-limit'))).status).toBe(401);
  });

  it('writes nothing to the audit trail for a rate-limited request', async () => {
    const events = testApp.app.get<Connection>(getConnectionToken()).db!.collection('audit_events');
    const before = await events.countDocuments();

    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await login('127.0.0.5', port, uniqueEmail('ip-limit'))).status).toBe(429);
    }
    // The exception filter records failures without waiting, so give a stray write time to land.
    await delay(300);

    expect(await events.countDocuments()).toBe(before);
  });

  it('ignores a forged X-Forwarded-For when no proxy is trusted', async () => {
    const from = '127.0.0.7';
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const forged = { 'X-Forwarded-For': `198.51.100.${attempt + 1}` };
      expect((await login(from, port, uniqueEmail('forged'), forged)).status).toBe(401);
    }

    const limited = await login(from, port, uniqueEmail('forged'), {
      'X-Forwarded-For': '198.51.100.99',
    });
    expectTooManyRequests(limited, 10, 60);
  });

  it('allows 10 sign-in attempts per account a minute, from any addresses', async () => {
    const email = uniqueEmail('account-limit');
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect((await login(`127.0.1.${attempt + 1}`, port, email)).status).toBe(401);
    }

    const limited = await login('127.0.1.50', port, ` ${email.toUpperCase()} `);
    expectTooManyRequests(limited, 10, 60);
    expect(limited.body?.detail).toMatch(/this account on this route/);
  });

  it.each([
    [
      '/v1/auth/register',
      '127.0.0.8',
      (email: string) => ({ email, password: STRONG_PASSWORD, name: 'Limited' }),
    ],
    ['/v1/auth/password/forgot', '127.0.0.9', (email: string) => ({ email })],
  ])('limits %s per address', async (path, from, body) => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const response = await requestFrom(from, port, path, {
        method: 'POST',
        json: body(uniqueEmail('limited')),
      });
      expect(response.status).toBe(202);
    }

    const limited = await requestFrom(from, port, path, {
      method: 'POST',
      json: body(uniqueEmail('limited')),
    });
    expectTooManyRequests(limited, 10, 60);
  });

  it('allows 10 refreshes per account a minute, from any addresses', async () => {
    const user = await inviteUser(testApp, sink, await adminToken(testApp, sink), 'developer');
    let refreshToken = user.refreshToken;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const refreshed = await requestFrom(`127.0.2.${attempt + 1}`, port, '/v1/auth/refresh', {
        method: 'POST',
        json: { refreshToken },
      });
      expect(refreshed.status).toBe(200);
      refreshToken = refreshed.body?.refreshToken as string;
    }

    const limited = await requestFrom('127.0.2.50', port, '/v1/auth/refresh', {
      method: 'POST',
      json: { refreshToken },
    });
    expectTooManyRequests(limited, 10, 60);
    expect(limited.body?.detail).toMatch(/this account on this route/);
  });

  it('allows 10 MFA verifications per account a minute, across sign-ins and addresses', async () => {
    // The admin has TOTP from the refresh test's set-up; each sign-in takes a few wrong codes,
    // fewer than would end that sign-in, from its own address.
    const verifyStatuses: number[] = [];
    for (let signIn = 0; signIn < 3; signIn += 1) {
      const started = await requestFrom(`127.0.5.${signIn + 1}`, port, '/v1/auth/login', {
        method: 'POST',
        json: { email: admin.email, password: admin.password },
      });
      expect(started.body?.mfaRequired).toBe(true);
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const verified = await requestFrom(
          `127.0.5.${signIn * 10 + attempt + 100}`,
          port,
          '/v1/auth/mfa/verify',
          {
            method: 'POST',
            json: { mfaToken: started.body?.mfaToken, method: 'totp', code: '000000' },
          },
        );
        verifyStatuses.push(verified.status);
        if (verified.status === 429) {
          expectTooManyRequests(verified, 10, 60);
          expect(verified.body?.detail).toMatch(/this account on this route/);
        }
      }
    }

    // The set-up's TOTP sign-in was the account's first verification of the minute.
    expect(verifyStatuses.slice(0, 9)).toEqual(Array.from({ length: 9 }, () => 401));
    expect(verifyStatuses.slice(9)).toEqual([429, 429, 429]);
  });

  it('counts every 429 in the metrics by limiter', async () => {
    const metrics = await scrapeMetrics(metricsPortOf(testApp));

    for (const limiter of ['ip', 'auth_ip', 'auth_account']) {
      expect(
        sampleValue(metrics, `rate_limit_rejections_total{limiter="${limiter}"}`),
      ).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('requests rejected before routing', () => {
  const IP_LIMIT = 12;
  let sink: SmtpSink;
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    sink = await startSmtpSink();
    ({ testApp, port } = await startApp(sink, { RATE_LIMIT_IP_MAX: String(IP_LIMIT) }));
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('count against the address limit like routed requests', async () => {
    const from = '127.0.4.1';
    const rejected = [
      () => requestFrom(from, port, '/v1/tasks', { method: 'POST', rawBody: '{"title":' }),
      () => requestFrom(from, port, '/v1/no-such-route'),
      () =>
        requestFrom(from, port, '/v1/auth/login', {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          rawBody: 'email=someone',
        }),
      () => requestFrom(from, port, '/v1/auth/csrf', { headers: { Expect: 'something-else' } }),
    ];
    const answers: ClientResponse[] = [];
    for (let request = 0; request < IP_LIMIT - 1; request += 1) {
      answers.push(await rejected[request % rejected.length]!());
    }
    expect(answers.map((answer) => answer.status)).toEqual(
      Array.from({ length: IP_LIMIT - 1 }, (_, index) => [400, 404, 415, 417][index % 4]),
    );
    expect(answers.map((answer) => Number(answer.headers['ratelimit-remaining']))).toEqual(
      Array.from({ length: IP_LIMIT - 1 }, (_, index) => IP_LIMIT - 1 - index),
    );
    // The last request the window allows, then every request is rejected, routed or not.
    expect((await requestFrom(from, port, '/v1/auth/csrf')).status).toBe(200);
    for (const request of rejected) {
      expectTooManyRequests(await request(), IP_LIMIT, 300);
    }
    expectTooManyRequests(await requestFrom(from, port, '/v1/auth/csrf'), IP_LIMIT, 300);

    // Other addresses and the probes are not affected.
    expect((await requestFrom('127.0.4.2', port, '/v1/no-such-route')).status).toBe(404);
    expect((await requestFrom(from, port, '/health/ready')).status).toBe(200);
    const probe = await requestFrom(from, port, '/health/live', { headers: { Expect: 'other' } });
    expect(probe.status).toBe(417);
    const metrics = await scrapeMetrics(metricsPortOf(testApp));
    expect(sampleValue(metrics, 'rate_limit_rejections_total{limiter="ip"}')).toBe(5);
  });
});

describe('the daily quota per user', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let port: number;
  let token: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    ({ testApp, port } = await startApp(sink, { RATE_LIMIT_USER_MAX: '15' }));
    // One sign-in for the describe: a second TOTP sign-in within the same 30 s step is rejected.
    token = await adminToken(testApp, sink);
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('answers 429 past the quota, whatever the address, and spares other users', async () => {
    const member = await inviteUser(testApp, sink, token, 'developer');
    const bearer = { Authorization: `Bearer ${member.accessToken}` };

    const statuses: number[] = [];
    for (let request = 0; request < 15; request += 1) {
      const from = `127.0.3.${request + 1}`;
      statuses.push((await requestFrom(from, port, '/v1/users/me', { headers: bearer })).status);
    }
    expect(statuses.every((status) => status === 200)).toBe(true);

    const limited = await requestFrom('127.0.3.99', port, '/v1/users/me', { headers: bearer });
    expectTooManyRequests(limited, 15, 86_400);
    expect(limited.body?.detail).toMatch(/this account may send 15/);

    const other = await requestFrom('127.0.3.99', port, '/v1/users/me', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(other.status).toBe(200);
  });

  it('lets the owner end sessions past the quota', async () => {
    const member = await inviteUser(testApp, sink, token, 'developer');
    const bearer = { Authorization: `Bearer ${member.accessToken}` };
    const elsewhere = await requestFrom('127.0.3.100', port, '/v1/auth/login', {
      method: 'POST',
      json: { email: member.email, password: STRONG_PASSWORD },
    });
    expect(elsewhere.status).toBe(200);
    for (let request = 0; request < 15; request += 1) {
      await requestFrom('127.0.3.101', port, '/v1/users/me', { headers: bearer });
    }
    expect(
      (await requestFrom('127.0.3.101', port, '/v1/users/me', { headers: bearer })).status,
    ).toBe(429);

    const sessions = await requestFrom('127.0.3.101', port, '/v1/auth/sessions', {
      headers: bearer,
    });
    expect(sessions.status).toBe(200);
    const other = (sessions.body?.data as Array<{ id: string; current: boolean }>).find(
      (session) => !session.current,
    );
    const ended = await requestFrom('127.0.3.101', port, `/v1/auth/sessions/${other!.id}`, {
      method: 'DELETE',
      headers: bearer,
    });
    expect(ended.status).toBe(204);
    const changed = await requestFrom('127.0.3.101', port, '/v1/auth/password/change', {
      method: 'POST',
      headers: bearer,
      json: { currentPassword: STRONG_PASSWORD, newPassword: 'a fresh passphrase for this test 7' },
    });
    expect(changed.status).toBe(204);
    const loggedOut = await requestFrom('127.0.3.101', port, '/v1/auth/logout', {
      method: 'POST',
      headers: bearer,
    });
    expect(loggedOut.status).toBe(204);
  });
});

describe('client addresses behind a trusted proxy', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    sink = await startSmtpSink();
    ({ testApp, port } = await startApp(sink, { TRUST_PROXY: 'loopback' }));
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it("counts each client by the proxy's X-Forwarded-For", async () => {
    const client = { 'X-Forwarded-For': '203.0.113.5' };
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect((await login('127.0.0.2', port, uniqueEmail('proxied'), client)).status).toBe(401);
    }

    expectTooManyRequests(await login('127.0.0.3', port, uniqueEmail('proxied'), client), 10, 60);
    // The same proxy forwarding another client is not limited.
    const other = await login('127.0.0.2', port, uniqueEmail('proxied'), {
      'X-Forwarded-For': '203.0.113.6',
    });
    expect(other.status).toBe(401);
  });

  it('takes the address the trusted proxy saw, not one the client prepended', async () => {
    const forged = { 'X-Forwarded-For': '198.51.100.77, 203.0.113.5' };

    expectTooManyRequests(await login('127.0.0.2', port, uniqueEmail('prepended'), forged), 10, 60);
  });
});

describe('forwarded addresses from a peer that is not a trusted proxy', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    sink = await startSmtpSink();
    ({ testApp, port } = await startApp(sink, { TRUST_PROXY: '10.0.0.1' }));
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('counts the socket address and ignores the header', async () => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const forged = { 'X-Forwarded-For': `203.0.113.${attempt + 10}` };
      expect((await login('127.0.0.2', port, uniqueEmail('untrusted'), forged)).status).toBe(401);
    }

    const limited = await login('127.0.0.2', port, uniqueEmail('untrusted'), {
      'X-Forwarded-For': '203.0.113.200',
    });
    expectTooManyRequests(limited, 10, 60);
  });
});
