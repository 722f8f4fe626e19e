import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { createTestApp, type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { registerVerified, signIn } from './support/identity.js';

describe('refresh token reuse grace', () => {
  let sink: SmtpSink;
  let testApp: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createTestApp({
      env: { SMTP_URL: sink.url, REFRESH_REUSE_GRACE_SECONDS: '10' },
    });
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('keeps the session when a second tab refreshes at once', async () => {
    const session = await signIn(testApp, await registerVerified(testApp, sink));

    const firstTab = await testApp.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: session.refreshToken });
    const secondTab = await testApp.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: session.refreshToken });

    expect(firstTab.status).toBe(200);
    expect(secondTab.status).toBe(401);
    expect(secondTab.body.detail).toMatch(/just rotated/);
    const next = await testApp.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: firstTab.body.refreshToken });
    expect(next.status).toBe(200);
  });

  it('issues exactly one new token to parallel refreshes', async () => {
    const { refreshToken } = await signIn(testApp, await registerVerified(testApp, sink));

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        testApp.http.post('/v1/auth/refresh').send({ refreshToken }),
      ),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(9);
  });

  it('rejects a reuse grace above 10 seconds', async () => {
    await expect(createTestApp({ env: { REFRESH_REUSE_GRACE_SECONDS: '11' } })).rejects.toThrow(
      /REFRESH_REUSE_GRACE_SECONDS must be an integer between 0 and 10/,
    );
  });
});
