import { setTimeout as delay } from 'node:timers/promises';

import { MetricsServer } from '@codexflow/monitoring';
import type { TestApp } from '@codexflow/testing';

/** Returns the port that the app's metrics listener bound. */
export function metricsPortOf(testApp: TestApp): number {
  return testApp.app.get(MetricsServer).port;
}

/** Fetches the Prometheus text from the metrics listener on `port`. */
export async function scrapeMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (response.status !== 200) {
    throw new Error(`GET /metrics returned ${response.status}`);
  }
  return response.text();
}

/**
 * Returns the value of the sample `name{labels}` in Prometheus text, such as
 * `security_alerts_total{detector="server_errors"}`, or undefined when it is absent.
 */
export function sampleValue(metrics: string, sample: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/**
 * Scrapes until the sample's value passes `accept`, and returns that value. Rejects after
 * `timeoutMs` with the last value seen.
 */
export async function waitForSample(
  port: number,
  sample: string,
  accept: (value: number | undefined) => boolean,
  timeoutMs = 15_000,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = sampleValue(await scrapeMetrics(port), sample);
    if (accept(value)) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`${sample} is still ${String(value)} after ${timeoutMs} ms`);
    }
    await delay(100);
  }
}
