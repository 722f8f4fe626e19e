import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, HttpStatus, Module } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import { Public } from '@codexflow/access';
import { EmbeddedDatabase, ProblemException } from '@codexflow/core';
import type { BlockedIpEntry } from '@codexflow/monitoring';
import {
  createTempDir,
  createTestApp,
  type SmtpSink,
  startSmtpSink,
  type TempDir,
  type TestApp,
} from '@codexflow/testing';

import { inviteUser } from './support/admin.js';
import { type ClientResponse, listenOnLoopback, requestFrom } from './support/client-address.js';
import { registerVerified, signIn, STRONG_PASSWORD } from './support/identity.js';
import { metricsPortOf, sampleValue, scrapeMetrics } from './support/metrics.js';
import { signInAdminWithMfa } from './support/mfa.js';
import {
  type ReceivedPost,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support/webhook-receiver.js';

const ADMIN = { email: 'monitoring.admin@example.com', password: 'bootstrap admin passphrase 9' };

/** Low thresholds, so a few requests trip each detector. */
const THRESHOLDS = {
  ALERT_UNAUTHORIZED_PER_IP: '3',
  ALERT_FAILED_LOGINS_PER_HOUR: '2',
  ALERT_EXPORTS_PER_HOUR: '2',
  ALERT_SERVER_ERRORS: '2',
  IP_BLOCK_SECONDS: '600',
};

/** Routes that always fail with 500 or 503, to drive the server error detector. */
@Public()
@Controller('probe')
class FailingController {
  @Get('fail')
  fail(): never {
    throw new Error('failure on purpose');
  }

  @Get('unavailable')
  unavailable(): never {
    throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, 'unavailable on purpose');
  }
}

@Module({ controllers: [FailingController] })
class FailingProbeModule {}

const alertFor =
  (detector: string, key: string) =>
  (post: ReceivedPost): boolean =>
    post.detector === detector && post.key === key;

/** Sends `count` requests without credentials from `from` and expects 401 for each. */
async function unauthorizedFrom(from: string, port: number, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const response = await requestFrom(from, port, '/v1/users/me');
    expect(response.status).toBe(401);
  }
}

function expectBlocked(response: ClientResponse): void {
  expect(response.status).toBe(403);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body?.detail).toMatch(/blocked after repeated authentication failures/);
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(response.headers['strict-transport-security']).toBeDefined();
  expect(response.headers['x-content-type-options']).toBe('nosniff');
}

describe('security monitoring', () => {
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let testApp: TestApp;
  let port: number;
  let metricsPort: number;
  let admin: string;

  const asAdmin = (path: string, method: 'get' | 'delete' = 'get') =>
    testApp.http[method](path).set('Authorization', `Bearer ${admin}`);

  beforeAll(async () => {
    sink = await startSmtpSink();
    receiver = await startWebhookReceiver();
    testApp = await createTestApp({
      env: {
        SMTP_URL: sink.url,
        BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        ALERT_WEBHOOK_URL: receiver.url,
        ...THRESHOLDS,
      },
      imports: [FailingProbeModule],
    });
    port = await listenOnLoopback(testApp);
    metricsPort = metricsPortOf(testApp);
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
  });

  afterAll(async () => {
    await testApp.close();
    await receiver.close();
    await sink.close();
  });

  describe('unauthorized responses detector', () => {
    it('blocks the address above the threshold', async () => {
      const attacker = '127.0.0.10';
      await unauthorizedFrom(attacker, port, 3);
      expect((await requestFrom(attacker, port, '/v1/users/me')).status).toBe(401);

      const alert = await receiver.waitForPost(alertFor('unauthorized_responses', attacker));

      expect(alert).toMatchObject({ type: 'security_alert', count: 4, threshold: 3 });
      expect(alert.windowSeconds).toBe(300);
      const blockedFor = Date.parse(alert.blockedUntil as string) - Date.now();
      expect(blockedFor).toBeGreaterThan(590_000);
      expect(blockedFor).toBeLessThanOrEqual(600_000);
      expectBlocked(await requestFrom(attacker, port, '/v1/users/me'));
    });

    it('rejects every route but the health probes', async () => {
      const attacker = '127.0.0.11';
      await unauthorizedFrom(attacker, port, 4);
      await receiver.waitForPost(alertFor('unauthorized_responses', attacker));

      expectBlocked(await requestFrom(attacker, port, '/v1/no-such-route'));
      expectBlocked(await requestFrom(attacker, port, '/.well-known/security.txt'));
      expectBlocked(
        await requestFrom(attacker, port, '/v1/auth/login', {
          method: 'POST',
          json: { email: ADMIN.email, password: ADMIN.password },
        }),
      );
      expect((await requestFrom(attacker, port, '/health/live')).status).toBe(200);
      expect((await requestFrom(attacker, port, '/health/ready')).status).toBe(200);
      expect((await testApp.http.get('/.well-known/security.txt')).status).toBe(200);
    });

    it('counts the block in metrics and audit trail', async () => {
      const attacker = '127.0.0.12';
      const sample = 'security_alerts_total{detector="unauthorized_responses"}';
      const before = sampleValue(await scrapeMetrics(metricsPort), sample) ?? 0;

      await unauthorizedFrom(attacker, port, 4);
      await receiver.waitForPost(alertFor('unauthorized_responses', attacker));
      const events = await asAdmin(
        `/v1/audit/events?action=monitoring.ip_block&resourceId=${attacker}`,
      );

      expect(sampleValue(await scrapeMetrics(metricsPort), sample)).toBe(before + 1);
      expect(events.status).toBe(200);
      expect(events.body.data).toHaveLength(1);
      expect(events.body.data[0]).toMatchObject({
        action: 'monitoring.ip_block',
        resource: 'ip',
        resourceId: attacker,
        result: 'success',
        userId: null,
      });
    });
  });

  describe('blocked address administration', () => {
    it('lists the blocks to admins', async () => {
      const attacker = '127.0.0.20';
      await unauthorizedFrom(attacker, port, 4);
      await receiver.waitForPost(alertFor('unauthorized_responses', attacker));

      const response = await asAdmin('/v1/admin/blocked-ips?limit=100');

      expect(response.status).toBe(200);
      expect(response.body.nextCursor).toBeNull();
      const entry = (response.body.data as BlockedIpEntry[]).find(
        (candidate) => candidate.ip === attacker,
      );
      expect(entry).toEqual({
        ip: attacker,
        reason: '4 responses of 401 within 300 s',
        blockedAt: expect.any(String),
        expiresAt: expect.any(String),
      });
      expect(Date.parse(entry!.expiresAt) - Date.parse(entry!.blockedAt)).toBe(600_000);
    });

    it('pages the list with a cursor', async () => {
      for (const attacker of ['127.0.0.21', '127.0.0.22']) {
        await unauthorizedFrom(attacker, port, 4);
        await receiver.waitForPost(alertFor('unauthorized_responses', attacker));
      }

      const first = await asAdmin('/v1/admin/blocked-ips?limit=1');
      const second = await asAdmin(
        `/v1/admin/blocked-ips?limit=1&cursor=${encodeURIComponent(first.body.nextCursor as string)}`,
      );
      const forged = await asAdmin('/v1/admin/blocked-ips?cursor=forged.cursor');

      expect(first.body.data).toHaveLength(1);
      expect(second.body.data).toHaveLength(1);
      expect(second.body.data[0].ip).not.toBe(first.body.data[0].ip);
      expect(forged.status).toBe(400);
    });

    it('unblocks from another address', async () => {
      const attacker = '127.0.0.23';
      await unauthorizedFrom(attacker, port, 4);
      await receiver.waitForPost(alertFor('unauthorized_responses', attacker));
      expectBlocked(await requestFrom(attacker, port, '/v1/users/me'));

      const unblocked = await asAdmin(`/v1/admin/blocked-ips/${attacker}`, 'delete');

      expect(unblocked.status).toBe(204);
      expect((await requestFrom(attacker, port, '/v1/users/me')).status).toBe(401);
      expect((await requestFrom(attacker, port, '/health/live')).status).toBe(200);
      const listed = await asAdmin('/v1/admin/blocked-ips?limit=100');
      const ips = (listed.body.data as Array<{ ip: string }>).map((entry) => entry.ip);
      expect(ips).not.toContain(attacker);
      const events = await asAdmin(
        `/v1/audit/events?action=monitoring.ip_unblock&resourceId=${attacker}`,
      );
      expect(events.body.data).toHaveLength(1);
      expect(events.body.data[0]).toMatchObject({ resource: 'ip', result: 'success' });
      expect(events.body.data[0].userId).toMatch(/^usr_/);
    });

    it('blocks an unblocked address again', async () => {
      const attacker = '127.0.0.24';
      await unauthorizedFrom(attacker, port, 4);
      await receiver.waitForPost(alertFor('unauthorized_responses', attacker));
      expect((await asAdmin(`/v1/admin/blocked-ips/${attacker}`, 'delete')).status).toBe(204);

      await unauthorizedFrom(attacker, port, 4);
      await receiver.waitForPost(alertFor('unauthorized_responses', attacker));

      expectBlocked(await requestFrom(attacker, port, '/v1/users/me'));
    });

    it('accepts the address in any IPv6 spelling', async () => {
      const attacker = '127.0.0.25';
      await unauthorizedFrom(attacker, port, 4);
      await receiver.waitForPost(alertFor('unauthorized_responses', attacker));

      const response = await asAdmin('/v1/admin/blocked-ips/::FFFF:127.0.0.25', 'delete');

      expect(response.status).toBe(204);
    });

    it('returns 404 for an address that is not blocked', async () => {
      const response = await asAdmin('/v1/admin/blocked-ips/192.0.2.1', 'delete');

      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it.each([
      ['a word', 'localhost'],
      ['an octet above 255', '256.0.0.1'],
      ['a range', '10.0.0.0%2F8'],
      ['an IPv6 zone', 'fe80::1%25eth0'],
    ])('rejects %s with 400', async (_case, value) => {
      const response = await asAdmin(`/v1/admin/blocked-ips/${value}`, 'delete');

      expect(response.status).toBe(400);
      expect(response.body.detail).toBe('ip must be an IPv4 or IPv6 address');
    });

    it('is for admins only', async () => {
      const manager = await inviteUser(testApp, sink, admin, 'manager');
      const bearer = `Bearer ${manager.accessToken}`;

      const list = await testApp.http.get('/v1/admin/blocked-ips').set('Authorization', bearer);
      const unblock = await testApp.http
        .delete('/v1/admin/blocked-ips/192.0.2.1')
        .set('Authorization', bearer);
      const anonymous = await requestFrom('127.0.0.26', port, '/v1/admin/blocked-ips');

      expect(list.status).toBe(403);
      expect(unblock.status).toBe(403);
      expect(anonymous.status).toBe(401);
    });
  });

  it('alerts once on failed logins for one account', async () => {
    const email = await registerVerified(testApp, sink);
    const { accessToken } = await signIn(testApp, email);
    const me = await testApp.http.get('/v1/users/me').set('Authorization', `Bearer ${accessToken}`);
    const userId = me.body.id as string;
    const guess = (from: string) =>
      requestFrom(from, port, '/v1/auth/login', {
        method: 'POST',
        json: { email, password: `not ${STRONG_PASSWORD}` },
      });

    // Two addresses, so that neither reaches the 401 threshold and gets blocked.
    for (const from of ['127.0.0.30', '127.0.0.30', '127.0.0.31', '127.0.0.31']) {
      expect((await guess(from)).status).toBe(401);
    }
    const alert = await receiver.waitForPost(alertFor('failed_logins', userId));
    await delay(300);

    expect(alert).toMatchObject({ count: 3, threshold: 2, windowSeconds: 3600 });
    expect(receiver.posts.filter(alertFor('failed_logins', userId))).toHaveLength(1);
  });

  it('alerts on personal-data exports by one user', async () => {
    const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));
    const bearer = `Bearer ${accessToken}`;
    const me = await testApp.http.get('/v1/users/me').set('Authorization', bearer);
    const userId = me.body.id as string;

    for (const path of ['/v1/users/me/data', '/v1/users/me/data-export', '/v1/users/me/data']) {
      expect((await testApp.http.get(path).set('Authorization', bearer)).status).toBe(200);
    }

    const alert = await receiver.waitForPost(alertFor('data_exports', userId));
    expect(alert).toMatchObject({ count: 3, threshold: 2, windowSeconds: 3600 });
  });

  it('leaves 503 responses out of the server errors', async () => {
    for (let index = 0; index < 3; index += 1) {
      expect((await requestFrom('127.0.0.41', port, '/v1/probe/unavailable')).status).toBe(503);
    }
    await delay(300);

    expect(receiver.posts.filter(alertFor('server_errors', 'all'))).toHaveLength(0);
  });

  it('alerts on server errors', async () => {
    const sample = 'security_alerts_total{detector="server_errors"}';
    for (let index = 0; index < 3; index += 1) {
      expect((await requestFrom('127.0.0.40', port, '/v1/probe/fail')).status).toBe(500);
    }

    const alert = await receiver.waitForPost(alertFor('server_errors', 'all'));

    expect(alert).toMatchObject({ count: 3, threshold: 2, windowSeconds: 300 });
    expect(alert.summary).toBe(
      '3 server errors (status 500 or above, except 503) over all within 300 s (threshold 2)',
    );
    expect(sampleValue(await scrapeMetrics(metricsPort), sample)).toBe(1);
  });
});

/** Polls the blocked_ips collection until the block of `ip` is stored, and returns it. */
async function waitForStoredBlock(testApp: TestApp, ip: string): Promise<Record<string, unknown>> {
  const blocks = testApp.app.get<Connection>(getConnectionToken()).collection('blocked_ips');
  const deadline = Date.now() + 5_000;
  for (;;) {
    const stored = await blocks.findOne({ _id: ip as never });
    if (stored !== null) {
      return stored;
    }
    if (Date.now() > deadline) {
      throw new Error(`the block of ${ip} was not stored within 5 s`);
    }
    await delay(50);
  }
}

describe('IP block list across a restart', () => {
  let dataDir: TempDir;
  let database: EmbeddedDatabase;

  beforeAll(async () => {
    dataDir = createTempDir();
    database = await EmbeddedDatabase.start(dataDir.path);
  });

  afterAll(async () => {
    await database.stop();
    dataDir.remove();
  });

  it('keeps an address blocked after the service restarts', async () => {
    const env = { MONGODB_URI: `${database.uri}blocks`, ALERT_UNAUTHORIZED_PER_IP: '1' };
    const attacker = '127.0.0.50';
    const first = await createTestApp({ env });
    try {
      const firstPort = await listenOnLoopback(first);
      await unauthorizedFrom(attacker, firstPort, 2);
      expectBlocked(await requestFrom(attacker, firstPort, '/v1/users/me'));

      const stored = await waitForStoredBlock(first, attacker);
      expect(stored.reason).toBe('2 responses of 401 within 300 s');
      expect(stored.expiresAt).toBeInstanceOf(Date);
    } finally {
      await first.close();
    }

    const second = await createTestApp({ env });
    try {
      const secondPort = await listenOnLoopback(second);
      expectBlocked(await requestFrom(attacker, secondPort, '/v1/users/me'));
      expect((await requestFrom('127.0.0.51', secondPort, '/v1/users/me')).status).toBe(401);
    } finally {
      await second.close();
    }
  });
});
