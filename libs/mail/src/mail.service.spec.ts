import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import Mail from 'nodemailer/lib/mailer';

import { loadConfig } from '@codexflow/core';

import { buildLink, verifyEmail } from './mail-templates.js';
import { MailService, type OutgoingMail } from './mail.service.js';

const FAST_RETRIES = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 };
const TOKEN = 'tok_secret_0123456789';
const LINK = buildLink('http://localhost:3000', '/verify-email', TOKEN);

function verificationMail(to = 'jonathan.smith@example.com'): OutgoingMail {
  return { to, template: 'verify-email', ...verifyEmail(LINK) };
}

/** Finds a loopback port that nothing listens on, so connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('expected a TCP address');
  }
  return address.port;
}

/** Replaces nodemailer's sendMail, for every transport, by `implementation`. */
function stubSendMail(implementation: () => Promise<never>) {
  const sendMail = jest.spyOn(Mail.prototype, 'sendMail') as unknown as jest.Mock<
    () => Promise<never>
  >;
  return sendMail.mockImplementation(implementation);
}

describe(MailService.name, () => {
  let dataDir: string;
  let logs: { log: jest.Mock; warn: jest.Mock; error: jest.Mock };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'codexflow-mail-'));
    logs = {
      log: jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined),
      warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
      error: jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
    } as unknown as typeof logs;
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function allLogArguments(): string {
    return JSON.stringify([logs.log.mock.calls, logs.warn.mock.calls, logs.error.mock.calls]);
  }

  describe('without SMTP_URL', () => {
    it('writes the mail to the outbox', async () => {
      const service = new MailService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);

      service.send(verificationMail());
      await service.flush();

      const outbox = join(dataDir, 'outbox');
      const files = readdirSync(outbox);
      expect(files).toHaveLength(1);
      const file = files[0] ?? '';
      expect(file).toMatch(/^\d{8}T\d{6}-\d{3}Z-\d{6}-[0-9a-f-]{36}\.eml$/);
      const content = readFileSync(join(outbox, file), 'utf8');
      expect(content).toMatch(/^To: jonathan.smith@example.com$/m);
      expect(content).toMatch(/^Subject: Confirm your email address for CodexFlow$/m);
      expect(content).toMatch(/^From: CodexFlow <no-reply@localhost>$/m);
      expect(content).toContain(TOKEN);
    });

    it('keeps outbox files private to the owner', async () => {
      const service = new MailService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);

      service.send(verificationMail());
      await service.flush();

      const outbox = join(dataDir, 'outbox');
      const [file] = readdirSync(outbox);
      expect(statSync(outbox).mode & 0o777).toBe(0o700);
      expect(statSync(join(outbox, file ?? '')).mode & 0o777).toBe(0o600);
    });

    it('names files in the order mails were sent', async () => {
      const service = new MailService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);
      const recipients = ['first@example.com', 'second@example.com', 'third@example.com'];

      recipients.forEach((to) => service.send(verificationMail(to)));
      await service.flush();

      const outbox = join(dataDir, 'outbox');
      const files = readdirSync(outbox).sort();
      const toHeaders = files.map(
        (file) => /^To: (.*)$/m.exec(readFileSync(join(outbox, file), 'utf8'))?.[1],
      );
      expect(toHeaders).toEqual(recipients);
    });

    it('logs the file with a masked recipient and no link', async () => {
      const service = new MailService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);

      service.send(verificationMail());
      await service.flush();

      const [file] = readdirSync(join(dataDir, 'outbox'));
      expect(logs.log).toHaveBeenCalledWith(
        expect.objectContaining({ template: 'verify-email', to: 'jon***@example.com', file }),
        'mail written to outbox',
      );
      const logged = allLogArguments();
      expect(logged).not.toContain('jonathan.smith');
      expect(logged).not.toContain(TOKEN);
      expect(logged).not.toContain('Confirm your email');
    });

    it('retries and gives up when the outbox cannot be written', async () => {
      const notAFolder = join(dataDir, 'file');
      writeFileSync(notAFolder, '');
      const service = new MailService(loadConfig({ DATA_DIR: notAFolder }), FAST_RETRIES);

      expect(() => service.send(verificationMail())).not.toThrow();
      await service.flush();

      expect(logs.warn).toHaveBeenCalledTimes(3);
      expect(logs.warn).toHaveBeenNthCalledWith(
        1,
        expect.objectContaining({ attempt: 1, to: 'jon***@example.com', retryInMs: 1 }),
        'mail delivery failed',
      );
      expect(logs.warn).toHaveBeenNthCalledWith(
        2,
        expect.objectContaining({ attempt: 2, retryInMs: 2 }),
        'mail delivery failed',
      );
      expect(logs.error).toHaveBeenCalledTimes(1);
      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: 3, code: 'ENOTDIR', template: 'verify-email' }),
        'mail not delivered: giving up',
      );
    });
  });

  describe('with SMTP_URL', () => {
    it('does not throw when the server is unreachable', async () => {
      const port = await closedPort();
      const config = loadConfig({ DATA_DIR: dataDir, SMTP_URL: `smtp://127.0.0.1:${port}` });
      const service = new MailService(config, FAST_RETRIES);

      expect(() => service.send(verificationMail())).not.toThrow();
      await service.flush();

      expect(logs.warn).toHaveBeenCalledTimes(3);
      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: 3, to: 'jon***@example.com' }),
        'mail not delivered: giving up',
      );
      expect(allLogArguments()).not.toContain(TOKEN);
    });

    it('does not throw when the transport throws synchronously', async () => {
      jest.spyOn(Mail.prototype, 'sendMail').mockImplementation(() => {
        throw new Error('transport exploded for jonathan.smith@example.com');
      });
      const config = loadConfig({ DATA_DIR: dataDir, SMTP_URL: 'smtp://127.0.0.1:2525' });
      const service = new MailService(config, FAST_RETRIES);

      expect(() => service.send(verificationMail())).not.toThrow();
      await service.flush();

      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ error: 'transport exploded for jon***@example.com' }),
        'mail not delivered: giving up',
      );
      expect(allLogArguments()).not.toContain('jonathan.smith');
    });

    it('does not retry a permanent rejection', async () => {
      const rejection = Object.assign(new Error('550 mailbox unavailable'), {
        responseCode: 550,
        permanent: true,
      });
      const sendMail = stubSendMail(() => Promise.reject(rejection));
      const config = loadConfig({ DATA_DIR: dataDir, SMTP_URL: 'smtp://127.0.0.1:2525' });
      const service = new MailService(config, FAST_RETRIES);

      service.send(verificationMail());
      await service.flush();

      expect(sendMail).toHaveBeenCalledTimes(1);
      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: 1, responseCode: 550, permanent: true }),
        'mail not delivered: giving up',
      );
    });
  });

  describe('flush', () => {
    it('resolves at once with an empty queue', async () => {
      const service = new MailService(loadConfig({ DATA_DIR: dataDir }));

      await expect(service.flush(1)).resolves.toBeUndefined();
    });

    it('rejects when mails are still pending after the timeout', async () => {
      stubSendMail(() => Promise.reject(new Error('temporary failure')));
      const config = loadConfig({
        DATA_DIR: dataDir,
        SMTP_URL: 'smtp://127.0.0.1:2525',
        SHUTDOWN_TIMEOUT_SECONDS: '1',
      });
      const service = new MailService(config, { maxAttempts: 2, baseDelayMs: 60_000 });

      service.send(verificationMail());

      await expect(service.flush(20)).rejects.toThrow(
        'mail queue flush timed out after 20 ms: 1 pending',
      );
      await service.onApplicationShutdown();
    });
  });

  describe('onApplicationShutdown', () => {
    it('drops mails sent after shutdown with an error log', async () => {
      const service = new MailService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);
      await service.onApplicationShutdown();

      expect(() => service.send(verificationMail())).not.toThrow();

      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ template: 'verify-email', to: 'jon***@example.com' }),
        'mail dropped: the mail service has shut down',
      );
      await service.flush(100);
    });

    it('stops waiting retries once the flush times out', async () => {
      stubSendMail(() => Promise.reject(new Error('temporary failure')));
      const config = loadConfig({
        DATA_DIR: dataDir,
        SMTP_URL: 'smtp://127.0.0.1:2525',
        SHUTDOWN_TIMEOUT_SECONDS: '1',
      });
      const service = new MailService(config, { maxAttempts: 5, baseDelayMs: 60_000 });
      service.send(verificationMail());

      await service.onApplicationShutdown();

      expect(logs.warn).toHaveBeenCalledWith(
        { pending: 1 },
        'mail queue not empty at shutdown: undelivered mails are lost',
      );
      await expect(service.flush(100)).resolves.toBeUndefined();
    });
  });
});
