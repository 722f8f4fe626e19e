import { afterEach, describe, expect, it } from '@jest/globals';

import {
  createTempDir,
  createTestApp,
  type ServiceProcess,
  startServiceProcess,
  startSmtpSink,
  type TempDir,
  type TestApp,
} from '@codexflow/testing';

import { listenOnLoopback, requestFrom } from './support/client-address.js';
import { registerVerified, signIn } from './support/identity.js';
import { metricsPortOf, waitForSample } from './support/metrics.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const METRICS_LISTENING = /metrics listening on http:\/\/[^:]+:(\d+)\/metrics/;
const FAILURES = 'alert_delivery_failures_total';

/** Trips the 401 detector, set to a threshold of 1, from `from`: the second 401 raises the alert. */
async function tripUnauthorized(from: string, port: number): Promise<void> {
  for (let index = 0; index < 2; index += 1) {
    expect((await requestFrom(from, port, '/v1/users/me')).status).toBe(401);
  }
}

function logEntries(service: ServiceProcess): Array<Record<string, unknown>> {
  return service
    .output()
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('alert delivery', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
  });

  async function receiver(): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver();
    cleanups.push(() => started.close());
    return started;
  }

  async function app(env: Record<string, string>): Promise<TestApp> {
    const started = await createTestApp({ env });
    cleanups.push(() => started.close());
    return started;
  }

  it('retries, counts and logs a failing webhook', async () => {
    const webhook = await receiver();
    webhook.failNext(100, 500);
    const dataDir: TempDir = createTempDir();
    cleanups.push(() => dataDir.remove());
    const service = await startServiceProcess({
      DATA_DIR: dataDir.path,
      ALERT_WEBHOOK_URL: webhook.url,
      ALERT_UNAUTHORIZED_PER_IP: '1',
    });
    cleanups.push(async () => {
      service.child.kill('SIGTERM');
      await service.exited;
    });
    const metricsPort = Number(
      service
        .output()
        .map((line) => METRICS_LISTENING.exec(line)?.[1])
        .find(Boolean),
    );

    await tripUnauthorized('127.0.0.2', service.port);

    expect(await waitForSample(metricsPort, FAILURES, (value) => value === 1)).toBe(1);
    expect(webhook.requestCount).toBe(3);
    const health = await requestFrom('127.0.0.1', service.port, '/health/live');
    expect(health.status).toBe(200);
    const entries = logEntries(service);
    const retries = entries.filter(
      (entry) => entry.msg === 'posting a security alert failed; retrying',
    );
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({
      detector: 'unauthorized_responses',
      attempt: 1,
      error: 'the webhook responded with status 500',
    });
    const lost = entries.filter(
      (entry) => entry.msg === 'a security alert was not delivered to the webhook',
    );
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({
      level: 50,
      detector: 'unauthorized_responses',
      key: '127.0.0.0/24',
      error: 'the webhook responded with status 500',
    });
    const raised = entries.find(
      (entry) => entry.msg === 'security alert: unauthorized_responses above its threshold',
    );
    expect(raised).toMatchObject({ key: '127.0.0.0/24', count: 2, threshold: 1 });
    expect(service.output().join('\n')).not.toContain('127.0.0.2');
  });

  it('counts alerts to an unreachable webhook', async () => {
    const webhook = await receiver();
    const url = webhook.url;
    await webhook.close();
    const testApp = await app({ ALERT_WEBHOOK_URL: url, ALERT_UNAUTHORIZED_PER_IP: '1' });
    const port = await listenOnLoopback(testApp);

    await tripUnauthorized('127.0.0.3', port);

    expect(await waitForSample(metricsPortOf(testApp), FAILURES, (value) => value === 1)).toBe(1);
    expect((await requestFrom('127.0.0.4', port, '/v1/users/me')).status).toBe(401);
  });

  it('serves requests during a slow webhook post', async () => {
    const webhook = await receiver();
    webhook.respondAfter(3_000);
    const testApp = await app({
      ALERT_WEBHOOK_URL: webhook.url,
      ALERT_UNAUTHORIZED_PER_IP: '1',
      ALERT_EXPORTS_PER_HOUR: '1',
    });
    const port = await listenOnLoopback(testApp);

    const first = await requestFrom('127.0.0.5', port, '/v1/users/me');
    const crossing = await requestFrom('127.0.0.5', port, '/v1/users/me');
    const raisedAt = Date.now();
    const following = await Promise.all(
      Array.from({ length: 5 }, () => requestFrom('127.0.0.6', port, '/health/live')),
    );

    expect(first.status).toBe(401);
    expect(crossing.status).toBe(401);
    expect(crossing.durationMs).toBeLessThan(1_000);
    for (const response of following) {
      expect(response.status).toBe(200);
      expect(response.durationMs).toBeLessThan(1_000);
    }
    const alert = await webhook.waitForPost((post) => post.key === '127.0.0.5');
    expect(alert.detector).toBe('unauthorized_responses');
    expect(Date.now() - raisedAt).toBeGreaterThanOrEqual(2_900);
  });

  it('serves the export that raises an alert at once', async () => {
    const webhook = await receiver();
    webhook.respondAfter(3_000);
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const testApp = await app({
      SMTP_URL: sink.url,
      ALERT_WEBHOOK_URL: webhook.url,
      ALERT_EXPORTS_PER_HOUR: '1',
    });
    const { accessToken } = await signIn(testApp, await registerVerified(testApp, sink));
    const exportData = async () => {
      const started = performance.now();
      const response = await testApp.http
        .get('/v1/users/me/data')
        .set('Authorization', `Bearer ${accessToken}`);
      return { status: response.status, durationMs: performance.now() - started };
    };

    const first = await exportData();
    const crossing = await exportData();
    const raisedAt = Date.now();
    const following = await exportData();

    expect(first.status).toBe(200);
    expect(crossing.status).toBe(200);
    expect(crossing.durationMs).toBeLessThan(1_000);
    expect(following.status).toBe(200);
    expect(following.durationMs).toBeLessThan(1_000);
    const alert = await webhook.waitForPost((post) => post.detector === 'data_exports');
    expect(alert.count).toBe(2);
    expect(Date.now() - raisedAt).toBeGreaterThanOrEqual(2_900);
  });
});
