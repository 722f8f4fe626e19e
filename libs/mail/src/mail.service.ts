import { join } from 'node:path';

import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createTransport,
  type NodemailerError,
  type SendMailOptions,
  type SMTPSentMessageInfo,
  type Transporter,
} from 'nodemailer';

import { type AppConfig, maskEmail, maskText } from '@codexflow/core';

import { type DeliveryFailure, DeliveryQueue, type QueuedMessage } from './delivery-queue.js';
import { MailOutbox, outboxFileName } from './mail-outbox.js';
import { type MailRetryOptions, resolveRetryOptions } from './mail-retry.js';

/** One mail to send. */
export interface OutgoingMail {
  to: string;
  /** Short name of the template, such as `verify-email`, used in logs only. */
  template: string;
  subject: string;
  text: string;
  html?: string;
}

type QueuedMail = QueuedMessage<OutgoingMail>;

interface SmtpFailure extends DeliveryFailure {
  error: string;
  code?: string;
  responseCode?: number;
  /** True when the SMTP server rejected the mail for good, so a retry would fail the same way. */
  permanent: boolean;
}

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
  private readonly queue: DeliveryQueue<OutgoingMail>;
  private readonly smtp: Transporter<SMTPSentMessageInfo> | undefined;
  private readonly outbox: MailOutbox | undefined;
  private readonly shutdownFlushTimeoutMs: number;

  constructor(config: AppConfig, retryOptions: MailRetryOptions = {}) {
    this.queue = new DeliveryQueue({
      logger: this.logger,
      retry: resolveRetryOptions(retryOptions),
      label: 'mail',
      logFields: mailLogFields,
      deliver: (queued, attempt, signal) => this.attemptDelivery(queued, attempt, signal),
    });
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
      if (this.queue.isShutDown) {
        this.logger.error(
          { template: mail.template, to: maskEmail(mail.to) },
          'mail dropped: the mail service has shut down',
        );
        return;
      }

      this.queue.enqueue({ ...mail });
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
    await this.queue.flush(timeoutMs);
  }

  async onApplicationShutdown(): Promise<void> {
    const pending = await this.queue.shutdown(this.shutdownFlushTimeoutMs);
    if (pending > 0) {
      this.logger.warn({ pending }, 'mail queue not empty at shutdown: undelivered mails are lost');
    }

    this.smtp?.close();
    this.outbox?.close();
  }

  /** Returns undefined on success, or what went wrong. */
  private async attemptDelivery(
    queued: QueuedMail,
    attempt: number,
    signal: AbortSignal,
  ): Promise<SmtpFailure | undefined> {
    const { to, subject, text, html } = queued.message;
    const message: SendMailOptions = { to, subject, text, html };

    try {
      if (this.smtp) {
        const info = await this.smtp.sendMail({ ...message, signal });
        this.logger.log(
          { ...mailLogFields(queued), attempt, messageId: info.messageId },
          'mail sent',
        );
      } else if (this.outbox) {
        const file = outboxFileName(queued.queuedAt, queued.sequence, queued.id);
        await this.outbox.write(message, file);
        this.logger.log({ ...mailLogFields(queued), file }, 'mail written to outbox');
      }
      return undefined;
    } catch (error) {
      return describeFailure(error);
    }
  }
}

function mailLogFields(queued: QueuedMail): Record<string, unknown> {
  return { mailId: queued.id, template: queued.message.template, to: maskEmail(queued.message.to) };
}

function describeFailure(error: unknown): SmtpFailure {
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
