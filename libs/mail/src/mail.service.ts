import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createTransport,
  type NodemailerError,
  type SendMailOptions,
  type SMTPSentMessageInfo,
  type Transporter,
} from 'nodemailer';

import { type AppConfig, maskEmail, maskText } from '@codexflow/core';

import { MailOutbox, outboxFileName } from './mail-outbox.js';
import {
  backoffDelayMs,
  type MailRetryOptions,
  type ResolvedMailRetryOptions,
  resolveRetryOptions,
} from './mail-retry.js';

/** One mail to send. */
export interface OutgoingMail {
  to: string;
  /** Short name of the template, such as `verify-email`, used in logs only. */
  template: string;
  subject: string;
  text: string;
  html?: string;
}

interface QueuedMail {
  id: string;
  sequence: number;
  queuedAt: Date;
  mail: OutgoingMail;
}

interface DeliveryFailure {
  error: string;
  code?: string;
  responseCode?: number;
  /** True when the SMTP server rejected the mail for good, so a retry would fail the same way. */
  permanent: boolean;
}

/** Maximum deliveries in progress at once. Later mails wait in the queue. */
const MAX_CONCURRENT_DELIVERIES = 4;

/**
 * Nodemailer 10 waits up to 2 minutes for a connection and 10 minutes on an idle socket by
 * default, which would hold a delivery slot long after a retry could have succeeded.
 * Parameters in SMTP_URL override these.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * Sends mails in the background: over SMTP when SMTP_URL is set, otherwise as files in
 * DATA_DIR/outbox. `send` returns at once, and failed deliveries are retried with exponential
 * backoff and logged, never reported to the caller.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly retry: ResolvedMailRetryOptions;
  private readonly smtp: Transporter<SMTPSentMessageInfo> | undefined;
  private readonly outbox: MailOutbox | undefined;
  private readonly shutdownFlushTimeoutMs: number;

  // NOTE: the queue is in process memory, so mails not yet delivered are lost if the process
  // dies, and those still waiting when the shutdown flush times out are dropped.
  private readonly waiting: QueuedMail[] = [];
  private activeDeliveries = 0;
  private sequence = 0;
  private idleListeners: Array<() => void> = [];
  private readonly shutdown = new AbortController();

  constructor(config: AppConfig, retryOptions: MailRetryOptions = {}) {
    this.retry = resolveRetryOptions(retryOptions);
    // Half of the shutdown timeout, an estimate that leaves the other shutdown hooks, such as
    // closing the database, time to run before main.ts exits the process.
    this.shutdownFlushTimeoutMs = config.http.shutdownTimeoutMs / 2;

    if (config.mail.smtpUrl) {
      this.smtp = createTransport(
        { url: config.mail.smtpUrl, ...SMTP_TIMEOUTS },
        { from: config.mail.from },
      );
    } else {
      this.outbox = new MailOutbox(join(config.dataDir, 'outbox'), config.mail.from);
    }
  }

  /** Queues the mail and returns at once. Never throws, and delivery failures are only logged. */
  send(mail: OutgoingMail): void {
    try {
      if (this.shutdown.signal.aborted) {
        this.logger.error(
          { template: mail.template, to: maskEmail(mail.to) },
          'mail dropped: the mail service has shut down',
        );
        return;
      }

      this.sequence += 1;
      this.waiting.push({
        id: randomUUID(),
        sequence: this.sequence,
        queuedAt: new Date(),
        mail: { ...mail },
      });
      this.startDeliveries();
    } catch (error) {
      this.logger.error(
        { template: mail.template, error: maskText(String(error)) },
        'mail could not be queued',
      );
    }
  }

  /**
   * Resolves once every queued mail has been delivered or given up on. Rejects when mails are
   * still pending after `timeoutMs`.
   */
  async flush(timeoutMs = 10_000): Promise<void> {
    if (this.pendingCount() === 0) {
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<void>((resolve) => this.idleListeners.push(resolve));
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const pending = this.pendingCount();
        reject(new Error(`mail queue flush timed out after ${timeoutMs} ms: ${pending} pending`));
      }, timeoutMs);
    });

    try {
      await Promise.race([drained, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.flush(this.shutdownFlushTimeoutMs);
    } catch {
      this.logger.warn(
        { pending: this.pendingCount() },
        'mail queue not empty at shutdown: undelivered mails are lost',
      );
    }

    this.shutdown.abort();
    this.waiting.length = 0;
    this.smtp?.close();
    this.outbox?.close();
  }

  private pendingCount(): number {
    return this.waiting.length + this.activeDeliveries;
  }

  private startDeliveries(): void {
    while (this.activeDeliveries < MAX_CONCURRENT_DELIVERIES && !this.shutdown.signal.aborted) {
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
  private async deliverWithRetries(queued: QueuedMail): Promise<void> {
    const fields = {
      mailId: queued.id,
      template: queued.mail.template,
      to: maskEmail(queued.mail.to),
    };

    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt += 1) {
      const failure = await this.attemptDelivery(queued, attempt);
      if (failure === undefined || this.shutdown.signal.aborted) {
        return;
      }

      if (attempt === this.retry.maxAttempts || failure.permanent) {
        this.logger.warn({ ...fields, attempt, ...failure }, 'mail delivery failed');
        this.logger.error(
          { ...fields, attempts: attempt, ...failure },
          'mail not delivered: giving up',
        );
        return;
      }

      const retryInMs = backoffDelayMs(attempt, this.retry);
      this.logger.warn({ ...fields, attempt, ...failure, retryInMs }, 'mail delivery failed');
      const waited = await this.waitBeforeRetry(retryInMs);
      if (!waited) {
        return;
      }
    }
  }

  /** Returns undefined on success, or what went wrong. */
  private async attemptDelivery(
    queued: QueuedMail,
    attempt: number,
  ): Promise<DeliveryFailure | undefined> {
    const { to, subject, text, html } = queued.mail;
    const message: SendMailOptions = { to, subject, text, html };

    try {
      if (this.smtp) {
        const info = await this.smtp.sendMail({ ...message, signal: this.shutdown.signal });
        this.logger.log(
          {
            mailId: queued.id,
            template: queued.mail.template,
            to: maskEmail(to),
            attempt,
            messageId: info.messageId,
          },
          'mail sent',
        );
      } else if (this.outbox) {
        const file = outboxFileName(queued.queuedAt, queued.sequence, queued.id);
        await this.outbox.write(message, file);
        this.logger.log(
          { mailId: queued.id, template: queued.mail.template, to: maskEmail(to), file },
          'mail written to outbox',
        );
      }
      return undefined;
    } catch (error) {
      return describeFailure(error);
    }
  }

  /** Returns false when the service shuts down during the wait. */
  private async waitBeforeRetry(delayMs: number): Promise<boolean> {
    try {
      await sleep(delayMs, undefined, { signal: this.shutdown.signal });
      return true;
    } catch {
      return false;
    }
  }
}

function describeFailure(error: unknown): DeliveryFailure {
  // A structural check, because errors from another realm (such as Node's own under Jest's
  // module VM) fail `instanceof Error`.
  if (typeof error !== 'object' || error === null || !('message' in error)) {
    return { error: maskText(String(error)), permanent: false };
  }
  const details = error as NodemailerError;
  return {
    error: maskText(String(details.message)),
    code: details.code,
    responseCode: details.responseCode,
    permanent: details.permanent === true,
  };
}
