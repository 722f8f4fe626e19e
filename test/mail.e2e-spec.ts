import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';

import { type AppConfig, loadConfig } from '@codexflow/core';
import {
  buildLink,
  MAIL_LINK_PATHS,
  MailService,
  passwordReset,
  verifyEmail,
} from '@codexflow/mail';
import { createTempDir, type SmtpSink, startSmtpSink, type TempDir } from '@codexflow/testing';

const FAST_RETRIES = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

describe('mail delivery over SMTP', () => {
  let dataDir: TempDir;
  let sink: SmtpSink;
  let config: AppConfig;
  let service: MailService;
  let warn: jest.Mock;
  let error: jest.Mock;

  beforeEach(async () => {
    dataDir = createTempDir();
    sink = await startSmtpSink();
    config = loadConfig({
      SMTP_URL: sink.url,
      APP_BASE_URL: 'http://localhost:3000',
      DATA_DIR: dataDir.path,
    });
    service = new MailService(config, FAST_RETRIES);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined) as jest.Mock;
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined) as jest.Mock;
  });

  afterEach(async () => {
    await service.onApplicationShutdown();
    await sink.close();
    jest.restoreAllMocks();
    dataDir.remove();
  });

  it('delivers a mail with its link', async () => {
    const link = buildLink(config.appBaseUrl, MAIL_LINK_PATHS.verifyEmail, 'tok_e2e_1');

    service.send({ to: 'new.user@example.com', template: 'verify-email', ...verifyEmail(link) });
    const mail = await sink.waitForMail({ to: 'new.user@example.com' });

    expect(mail.from).toBe('no-reply@localhost');
    expect(mail.to).toEqual(['new.user@example.com']);
    expect(mail.subject).toBe('Confirm your email address for CodexFlow');
    expect(mail.links).toEqual(['http://localhost:3000/verify-email?token=tok_e2e_1']);
    expect(mail.html).toContain('href="http://localhost:3000/verify-email?token=tok_e2e_1"');
  });

  it('delivers after transient failures', async () => {
    const link = buildLink(config.appBaseUrl, MAIL_LINK_PATHS.resetPassword, 'tok_e2e_2');
    sink.failNext(2);

    service.send({ to: 'retry@example.com', template: 'password-reset', ...passwordReset(link) });
    await service.flush();

    const mail = await sink.waitForMail({ to: 'retry@example.com', subject: /Reset your/ });
    expect(mail.links).toEqual([link]);
    expect(sink.mails).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenNthCalledWith(
      2,
      expect.objectContaining({ attempt: 2, responseCode: 451, to: 'ret***@example.com' }),
      'mail delivery failed',
    );
    expect(error).not.toHaveBeenCalled();
  });

  it('logs without throwing when the server is gone', async () => {
    await sink.close();

    expect(() =>
      service.send({ to: 'lost@example.com', template: 'verify-email', ...verifyEmail('x') }),
    ).not.toThrow();
    await service.flush();

    expect(warn).toHaveBeenCalledTimes(4);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      expect.objectContaining({ attempts: 4, template: 'verify-email', to: 'los***@example.com' }),
      'mail not delivered: giving up',
    );
  });
});

describe('SMTP sink', () => {
  let dataDir: TempDir;
  let sink: SmtpSink;
  let service: MailService;

  beforeEach(async () => {
    dataDir = createTempDir();
    sink = await startSmtpSink();
    const config = loadConfig({ SMTP_URL: sink.url, DATA_DIR: dataDir.path });
    service = new MailService(config, FAST_RETRIES);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await service.onApplicationShutdown();
    await sink.close();
    jest.restoreAllMocks();
    dataDir.remove();
  });

  it('returns each mail to one wait only', async () => {
    for (const to of ['a@example.com', 'b@example.com']) {
      service.send({ to, template: 'password-changed', subject: 'Same subject', text: 'hi' });
    }
    await service.flush();

    const first = await sink.waitForMail({ subject: /Same subject/ });
    const second = await sink.waitForMail({ subject: /Same subject/ });

    expect(first).not.toBe(second);
    expect([...first.to, ...second.to].sort()).toEqual(['a@example.com', 'b@example.com']);
  });

  it('resolves a wait started before the mail arrives', async () => {
    const waiting = sink.waitForMail((mail) => mail.subject === 'Later');

    service.send({ to: 'later@example.com', template: 'test', subject: 'Later', text: 'hi' });

    await expect(waiting).resolves.toMatchObject({ to: ['later@example.com'] });
  });

  it('lists the mails that arrived when a wait times out', async () => {
    service.send({ to: 'other@example.com', template: 'test', subject: 'Other', text: 'hi' });
    await service.flush();

    await expect(sink.waitForMail({ to: 'missing@example.com' }, 50)).rejects.toThrow(
      /no mail matching \{ to missing@example.com \} arrived within 50 ms; received 1 mail:\n {2}- to other@example.com, subject "Other"/,
    );
  });
});
