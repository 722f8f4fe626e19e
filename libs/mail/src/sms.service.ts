import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';

import { APP_CONFIG, type AppConfig, maskText } from '@codexflow/core';

import { type DeliveryFailure, DeliveryQueue, type QueuedMessage } from './delivery-queue.js';
import { outboxFileName } from './mail-outbox.js';
import { type MailRetryOptions, resolveRetryOptions } from './mail-retry.js';

/** One text message to send. */
export interface OutgoingSms {
  /** Recipient in E.164 form, such as `+4915123456789`. */
  to: string;
  /** Short name of the template, such as `mfa-code`, used in logs only. */
  template: string;
  text: string;
}

type QueuedSms = QueuedMessage<OutgoingSms>;

interface WebhookFailure extends DeliveryFailure {
  status?: number;
  error?: string;
  code?: string;
  /** True when the provider rejected the message for good, so a retry would fail the same way. */
  permanent: boolean;
}

interface Webhook {
  url: string;
  headers: Record<string, string>;
}

const WEBHOOK_TIMEOUT_MS = 5_000;
const E164 = /^\+[1-9]\d{1,14}$/;
const TOO_MANY_REQUESTS = 429;

/**
 * Sends text messages in the background: as a JSON POST to SMS_WEBHOOK_URL when it is set,
 * otherwise as `.sms.json` files in DATA_DIR/outbox. `send` returns at once, and failed
 * deliveries are retried with exponential backoff by DeliveryQueue and logged, never
 * reported to the caller. Logs show only the last 2 digits of a phone number and never the text.
 */
@Injectable()
export class SmsService implements OnApplicationShutdown {
  private readonly logger = new Logger(SmsService.name);
  private readonly queue: DeliveryQueue<OutgoingSms>;
  private readonly webhook: Webhook | undefined;
  private readonly outboxFolder: string;
  private readonly shutdownFlushTimeoutMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() retryOptions: MailRetryOptions = {},
  ) {
    this.queue = new DeliveryQueue({
      logger: this.logger,
      retry: resolveRetryOptions(retryOptions),
      label: 'sms',
      logFields: smsLogFields,
      deliver: (queued, attempt, signal) => this.attemptDelivery(queued, attempt, signal),
    });
    // Half of the shutdown timeout, as in MailService, so the other shutdown hooks keep time.
    this.shutdownFlushTimeoutMs = config.http.shutdownTimeoutMs / 2;
    this.webhook = config.smsWebhookUrl ? toWebhook(config.smsWebhookUrl) : undefined;
    this.outboxFolder = join(config.dataDir, 'outbox');
  }

  /** Queues the message and returns at once. Never throws: bad input and failures are logged. */
  send(sms: OutgoingSms): void {
    try {
      if (this.queue.isShutDown) {
        this.logger.error(
          { template: sms.template, to: maskPhone(sms.to) },
          'sms dropped: the sms service has shut down',
        );
        return;
      }
      if (!E164.test(sms.to)) {
        this.logger.error(
          { template: sms.template, to: maskPhone(sms.to) },
          'sms dropped: the recipient is not an E.164 phone number such as +4915123456789',
        );
        return;
      }

      this.queue.enqueue({ ...sms });
    } catch (error) {
      // A caller without type checks may pass anything, and this path must not throw either.
      const template = (sms as Partial<OutgoingSms> | undefined)?.template;
      this.logger.error({ template, error: maskText(String(error)) }, 'sms could not be queued');
    }
  }

  /**
   * Resolves once every queued message has been delivered or given up on. Rejects when messages
   * are still pending after `timeoutMs`.
   */
  async flush(timeoutMs = 10_000): Promise<void> {
    await this.queue.flush(timeoutMs);
  }

  async onApplicationShutdown(): Promise<void> {
    const pending = await this.queue.shutdown(this.shutdownFlushTimeoutMs);
    if (pending > 0) {
      this.logger.warn(
        { pending },
        'sms queue not empty at shutdown: undelivered messages are lost',
      );
    }
  }

  /** Returns undefined on success, or what went wrong. */
  private async attemptDelivery(
    queued: QueuedSms,
    attempt: number,
    signal: AbortSignal,
  ): Promise<WebhookFailure | undefined> {
    const fields = smsLogFields(queued);

    try {
      if (this.webhook) {
        const status = await this.post(this.webhook, queued.message, signal);
        if (!isSuccess(status)) {
          return { status, permanent: status !== TOO_MANY_REQUESTS && status < 500 };
        }
        this.logger.log({ ...fields, attempt, status }, 'sms sent');
      } else {
        const file = await this.writeToOutbox(queued);
        this.logger.log({ ...fields, file }, 'sms written to outbox');
      }
      return undefined;
    } catch (error) {
      return describeFailure(error);
    }
  }

  /** Posts `{ phone, text }` and returns the response status. Redirects are not followed. */
  private async post(webhook: Webhook, sms: OutgoingSms, signal: AbortSignal): Promise<number> {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: { ...webhook.headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ phone: sms.to, text: sms.text }),
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), signal]),
    });
    // Cancelling the unused body releases the connection for the next request.
    await response.body?.cancel();
    return response.status;
  }

  /**
   * Writes the message to a hidden temporary file first and renames it into place, so a reader
   * of the folder never sees a partial file. The file contains the text, such as a sign-in
   * code, so only the owner of the process may read it.
   */
  private async writeToOutbox(queued: QueuedSms): Promise<string> {
    const { to, template, text } = queued.message;
    // The mail outbox names files the same way, so mails and messages sort together by time.
    const file = outboxFileName(queued.queuedAt, queued.sequence, queued.id).replace(
      /\.eml$/,
      '.sms.json',
    );
    const content = JSON.stringify(
      { to, template, text, createdAt: queued.queuedAt.toISOString() },
      null,
      2,
    );

    await mkdir(this.outboxFolder, { recursive: true, mode: 0o700 });
    const temporaryPath = join(this.outboxFolder, `.${file}.tmp`);
    await writeFile(temporaryPath, `${content}\n`, { mode: 0o600 });
    await rename(temporaryPath, join(this.outboxFolder, file));
    return file;
  }
}

function smsLogFields(queued: QueuedSms): Record<string, unknown> {
  return { smsId: queued.id, template: queued.message.template, to: maskPhone(queued.message.to) };
}

/** Keeps the last 2 digits of a phone number, enough to tell messages apart in logs. */
function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length > 4 ? `***${digits.slice(-2)}` : '***';
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * fetch rejects URLs with credentials, so a `user:password@` part of SMS_WEBHOOK_URL is moved
 * into a Basic Authorization header.
 */
function toWebhook(value: string): Webhook {
  const url = new URL(value);
  if (url.username === '' && url.password === '') {
    return { url: url.href, headers: {} };
  }

  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return {
    url: url.href,
    headers: { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  };
}

function describeFailure(error: unknown): WebhookFailure {
  // A structural check, because errors from another realm (such as Node's own under Jest's
  // module VM) fail `instanceof Error`.
  if (typeof error !== 'object' || error === null || !('message' in error)) {
    return { error: maskText(String(error)), permanent: false };
  }

  const { name, message, code, cause } = error as {
    name?: unknown;
    message: unknown;
    code?: unknown;
    cause?: { code?: unknown };
  };
  if (name === 'TimeoutError') {
    return { error: `no response within ${WEBHOOK_TIMEOUT_MS} ms`, permanent: false };
  }
  // fetch reports network errors as `fetch failed` with the system error code in `cause`.
  const systemCode = typeof code === 'string' ? code : cause?.code;
  return {
    error: maskText(String(message)),
    code: typeof systemCode === 'string' ? systemCode : undefined,
    permanent: false,
  };
}
