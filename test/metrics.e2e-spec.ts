import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { createTestApp, type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin } from './support/admin.js';
import { metricsPortOf, sampleValue, scrapeMetrics } from './support/metrics.js';
import { signInAdminWithMfa } from './support/mfa.js';

const ADMIN = { email: 'metrics.admin@example.com', password: 'bootstrap admin passphrase 7' };
const UNKNOWN_TASK = 'tsk_00000000000000000000';

function durationCount(route: string, status: string, method = 'GET'): string {
  return `http_request_duration_seconds_count{method="${method}",route="${route}",status_class="${status}"}`;
}

describe('metrics', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let taskId: string;
  let metricsPort: number;

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN);
    metricsPort = metricsPortOf(testApp);
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);

    const project = await testApp.http
      .post('/v1/projects')
      .set('Authorization', `Bearer ${admin}`)
      .send({ key: 'MET', name: 'Metrics' });
    expect(project.status).toBe(201);
    const task = await testApp.http
      .post(`/v1/projects/${project.body.id as string}/tasks`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ title: 'Measure me', priority: 'low' });
    expect(task.status).toBe(201);
    taskId = task.body.id as string;
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('labels request durations by route template, never by id', async () => {
    const read = await testApp.http
      .get(`/v1/tasks/${taskId}`)
      .set('Authorization', `Bearer ${admin}`);
    const missing = await testApp.http
      .get(`/v1/tasks/${UNKNOWN_TASK}`)
      .set('Authorization', `Bearer ${admin}`);
    const anonymous = await testApp.http.get(`/v1/tasks/${taskId}`);

    const metrics = await scrapeMetrics(metricsPort);

    expect(read.status).toBe(200);
    expect(missing.status).toBe(404);
    expect(anonymous.status).toBe(401);
    expect(sampleValue(metrics, durationCount('/v1/tasks/:id', '2xx'))).toBe(1);
    expect(sampleValue(metrics, durationCount('/v1/tasks/:id', '4xx'))).toBe(2);
    expect(metrics).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
    expect(metrics).toContain(
      'http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/tasks/:id",status_class="2xx"}',
    );
    expect(metrics).not.toContain(taskId);
    expect(metrics).not.toContain(UNKNOWN_TASK);
  });

  it('labels requests that matched no route as unmatched', async () => {
    const response = await testApp.http.get('/v1/no-such-thing/usr_abc?page=2');

    const metrics = await scrapeMetrics(metricsPort);

    expect(response.status).toBe(404);
    expect(sampleValue(metrics, durationCount('unmatched', '4xx'))).toBeGreaterThanOrEqual(1);
    expect(metrics).not.toContain('no-such-thing');
  });

  it('includes the process metrics and the security counters', async () => {
    const metrics = await scrapeMetrics(metricsPort);

    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(metrics).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(sampleValue(metrics, 'security_alerts_total{detector="server_errors"}')).toBe(0);
    expect(sampleValue(metrics, 'alert_delivery_failures_total')).toBe(0);
    expect(sampleValue(metrics, 'audit_write_failures_total')).toBe(0);
    for (const name of ['auth_failures_total', 'rate_limit_rejections_total']) {
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} counter$`, 'm'));
    }
  });

  it('counts failed sign-ins by reason', async () => {
    const before = await scrapeMetrics(metricsPort);
    const failed = await testApp.http
      .post('/v1/auth/login')
      .send({ email: ADMIN.email, password: 'not the admin password 1' });
    expect(failed.status).toBe(401);

    const after = await scrapeMetrics(metricsPort);
    const sample = 'auth_failures_total{reason="wrong_password"}';
    expect(sampleValue(after, sample)).toBe((sampleValue(before, sample) ?? 0) + 1);
  });

  it('serves the Prometheus text format', async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('serves nothing else on the metrics port', async () => {
    const other = await fetch(`http://127.0.0.1:${metricsPort}/health/live`);
    const post = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' });

    expect(other.status).toBe(404);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('is not served on the public port', async () => {
    const response = await testApp.http.get('/metrics');

    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('metrics listener', () => {
  it('closes when the app shuts down', async () => {
    const testApp = await createTestApp();
    const port = metricsPortOf(testApp);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);

    await testApp.close();

    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(/fetch failed/);
  });

  it('fails the start when its port is taken', async () => {
    const first = await createTestApp();
    try {
      await expect(
        createTestApp({ env: { METRICS_PORT: String(metricsPortOf(first)) } }),
      ).rejects.toThrow(/the metrics listener could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
