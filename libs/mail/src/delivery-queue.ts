import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from '@nestjs/common';

import { backoffDelayMs, type ResolvedMailRetryOptions } from './mail-retry.js';

/** One message in the queue, with what the queue adds to it. */
export interface QueuedMessage<T> {
  id: string;
  /** Position in the order of `enqueue` calls within this process, starting at 1. */
  sequence: number;
  queuedAt: Date;
  message: T;
}

/** Failure of one delivery attempt. Every field is logged, so none may contain personal data. */
export interface DeliveryFailure {
  /** True when the receiver rejected the message for good, so a retry would fail the same way. */
  permanent: boolean;
}

export interface DeliveryQueueOptions<T> {
  logger: Logger;
  retry: ResolvedMailRetryOptions;
  /** First word of log and error messages, such as `mail` or `sms`. */
  label: string;
  /** Fields that identify the message in logs, with personal data masked. */
  logFields: (queued: QueuedMessage<T>) => Record<string, unknown>;
  /**
   * Makes one delivery attempt and resolves to undefined on success or to the failure. Must not
   * reject. `signal` aborts when the queue shuts down.
   */
  deliver: (
    queued: QueuedMessage<T>,
    attempt: number,
    signal: AbortSignal,
  ) => Promise<DeliveryFailure | undefined>;
}

/** Maximum deliveries in progress at once. Later messages wait in the queue. */
const MAX_CONCURRENT_DELIVERIES = 4;

/**
 * Delivers messages in the background, at most 4 at once, in the order they were queued.
 * Failed attempts are retried with exponential backoff and logged, never reported to the caller.
 */
export class DeliveryQueue<T> {
  // NOTE: the queue is in process memory, so messages not yet delivered are lost if the process
  // dies, and those still waiting when the shutdown flush times out are dropped.
  private readonly waiting: QueuedMessage<T>[] = [];
  private activeDeliveries = 0;
  private sequence = 0;
  private idleListeners: Array<() => void> = [];
  private readonly shutdownController = new AbortController();

  constructor(private readonly options: DeliveryQueueOptions<T>) {}

  get isShutDown(): boolean {
    return this.shutdownController.signal.aborted;
  }

  /** Queues the message and starts delivering it once a delivery slot is free. */
  enqueue(message: T): void {
    this.sequence += 1;
    this.waiting.push({ id: randomUUID(), sequence: this.sequence, queuedAt: new Date(), message });
    this.startDeliveries();
  }

  /**
   * Resolves once every queued message has been delivered or given up on. Rejects when messages
   * are still pending after `timeoutMs`.
   */
  async flush(timeoutMs: number): Promise<void> {
    if (this.pendingCount() === 0) {
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<void>((resolve) => this.idleListeners.push(resolve));
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(this.flushTimeoutError(timeoutMs)), timeoutMs);
    });

    try {
      await Promise.race([drained, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Flushes for up to `flushTimeoutMs`, then aborts the deliveries in progress and drops the
   * waiting messages. Returns how many messages were still pending when the flush timed out, or 0.
   */
  async shutdown(flushTimeoutMs: number): Promise<number> {
    let undelivered = 0;
    try {
      await this.flush(flushTimeoutMs);
    } catch {
      undelivered = this.pendingCount();
    }

    this.shutdownController.abort();
    this.waiting.length = 0;
    return undelivered;
  }

  private pendingCount(): number {
    return this.waiting.length + this.activeDeliveries;
  }

  private flushTimeoutError(timeoutMs: number): Error {
    const pending = this.pendingCount();
    const label = this.options.label;
    return new Error(`${label} queue flush timed out after ${timeoutMs} ms: ${pending} pending`);
  }

  private startDeliveries(): void {
    while (this.activeDeliveries < MAX_CONCURRENT_DELIVERIES && !this.isShutDown) {
      const next = this.waiting.shift();
      if (next === undefined) {
        break;
      }

      this.activeDeliveries += 1;
      void this.deliverWithRetries(next).finally(() => {
        this.activeDeliveries -= 1;
        this.startDeliveries();
        this.notifyIfIdle();
      });
    }
  }

  private notifyIfIdle(): void {
    if (this.pendingCount() > 0) {
      return;
    }
    const listeners = this.idleListeners;
    this.idleListeners = [];
    listeners.forEach((resolve) => resolve());
  }

  /** Never rejects: every failure ends in a log line. */
  private async deliverWithRetries(queued: QueuedMessage<T>): Promise<void> {
    const { logger, retry, label } = this.options;
    const fields = this.options.logFields(queued);
    const signal = this.shutdownController.signal;

    for (let attempt = 1; attempt <= retry.maxAttempts; attempt += 1) {
      const failure = await this.options.deliver(queued, attempt, signal);
      if (failure === undefined || signal.aborted) {
        return;
      }

      if (attempt === retry.maxAttempts || failure.permanent) {
        logger.warn({ ...fields, attempt, ...failure }, `${label} delivery failed`);
        logger.error(
          { ...fields, attempts: attempt, ...failure },
          `${label} not delivered: giving up`,
        );
        return;
      }

      const retryInMs = backoffDelayMs(attempt, retry);
      logger.warn({ ...fields, attempt, ...failure, retryInMs }, `${label} delivery failed`);
      const waited = await this.waitBeforeRetry(retryInMs);
      if (!waited) {
        return;
      }
    }
  }

  /** Returns false when the queue shuts down during the wait. */
  private async waitBeforeRetry(delayMs: number): Promise<boolean> {
    try {
      await sleep(delayMs, undefined, { signal: this.shutdownController.signal });
      return true;
    } catch {
      return false;
    }
  }
}
