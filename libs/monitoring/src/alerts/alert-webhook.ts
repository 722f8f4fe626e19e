import { setTimeout as delay } from 'node:timers/promises';

import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';

import { APP_CONFIG, type AppConfig } from '@codexflow/core';

import { Metrics } from '../metrics/metrics.js';
import { alertKeyForLogs, type SecurityAlert } from './security-alert.js';

export const ATTEMPT_TIMEOUT_MS = 5_000;
export const MAX_ATTEMPTS = 3;
/** Pause before the second attempt, doubled before each later one. */
const FIRST_RETRY_DELAY_MS = 500;
/** Maximum number of waiting alerts. Past it the oldest is dropped, counted and logged as undelivered. */
const MAX_QUEUED_ALERTS = 1_000;
/** Time the shutdown gives the queue to finish before the rest counts as undelivered. */
const SHUTDOWN_DRAIN_MS = 5_000;

/**
 * Posts security alerts as JSON to ALERT_WEBHOOK_URL, one at a time, from a
 * queue that a background loop drains, so no request waits for the webhook.
 * Each alert gets MAX_ATTEMPTS attempts of at most ATTEMPT_TIMEOUT_MS, with a
 * growing pause between them. An alert that fails every attempt, or that is
 * still queued when the service stops, is logged and counted in
 * alert_delivery_failures_total. Without a webhook URL nothing is queued.
 */
@Injectable()
export class AlertWebhook implements OnApplicationShutdown {
  // NOTE: the queue is in process memory, so a process that dies loses the alerts still in it.
  private readonly logger = new Logger(AlertWebhook.name);
  private readonly queue: SecurityAlert[] = [];
  private readonly stopping = new AbortController();
  private running = false;
  private draining: Promise<void> = Promise.resolve();

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return this.config.alertWebhookUrl !== undefined;
  }

  /** Queues the alert and returns at once, because delivery runs in the background. */
  enqueue(alert: SecurityAlert): void {
    if (!this.enabled) {
      return;
    }
    if (this.stopping.signal.aborted) {
      this.giveUp(alert, 'the service is shutting down');
      return;
    }
    if (this.queue.length >= MAX_QUEUED_ALERTS) {
      this.giveUp(this.queue.shift()!, `more than ${MAX_QUEUED_ALERTS} alerts are waiting`);
    }
    this.queue.push(alert);
    if (!this.running) {
      this.running = true;
      this.draining = this.drain();
    }
  }

  /** Lets the queue finish for a few seconds, then abandons what remains. */
  async onApplicationShutdown(): Promise<void> {
    if (this.running) {
      await Promise.race([this.draining, delay(SHUTDOWN_DRAIN_MS, undefined, { ref: false })]);
    }
    this.stopping.abort();
    await this.draining;
    for (const alert of this.queue.splice(0)) {
      this.giveUp(alert, 'the service stopped before it could be sent');
    }
  }

  /** Delivers queued alerts in order until the queue is empty or the service stops. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.stopping.signal.aborted) {
        await this.deliver(this.queue.shift()!);
      }
    } finally {
      // Set in the same synchronous step as the last check of the queue, so an alert queued after
      // it starts a new loop.
      this.running = false;
    }
  }

  private async deliver(alert: SecurityAlert): Promise<void> {
    const body = JSON.stringify(alert);
    let lastError = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      lastError = await this.post(body);
      if (lastError === '') {
        return;
      }
      if (attempt < MAX_ATTEMPTS) {
        this.logger.warn(
          { detector: alert.detector, attempt, error: lastError },
          'posting a security alert failed; retrying',
        );
        const waited = await delay(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), true, {
          signal: this.stopping.signal,
        }).catch(() => false);
        if (!waited) {
          break;
        }
      }
    }
    this.giveUp(alert, lastError);
  }

  /** Posts one attempt. Resolves with an empty string on a 2xx response, else with the failure. */
  private async post(body: string): Promise<string> {
    try {
      const response = await fetch(this.config.alertWebhookUrl!, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(ATTEMPT_TIMEOUT_MS), this.stopping.signal]),
      });
      // Reading the body to its end lets the connection be reused.
      await response.arrayBuffer();
      return response.ok ? '' : `the webhook responded with status ${response.status}`;
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        return `the webhook did not respond within ${ATTEMPT_TIMEOUT_MS} ms`;
      }
      const cause = error instanceof Error ? (error.cause ?? error) : error;
      return cause instanceof Error ? cause.message : String(cause);
    }
  }

  private giveUp(alert: SecurityAlert, reason: string): void {
    this.metrics.alertDeliveryFailed();
    this.logger.error(
      { detector: alert.detector, key: alertKeyForLogs(alert), count: alert.count, error: reason },
      'a security alert was not delivered to the webhook',
    );
  }
}
