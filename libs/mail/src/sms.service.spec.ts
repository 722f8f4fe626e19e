import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';

import { loadConfig } from '@codexflow/core';

import { type OutgoingSms, SmsService } from './sms.service.js';

const FAST_RETRIES = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 };
const PHONE = '+4915123456789';
const CODE = '493027';

function codeSms(to = PHONE): OutgoingSms {
  return { to, template: 'mfa-code', text: `Your CodexFlow sign-in code is ${CODE}.` };
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

describe(SmsService.name, () => {
  let dataDir: string;
  let logs: { log: jest.Mock; warn: jest.Mock; error: jest.Mock };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'codexflow-sms-'));
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

  describe('without SMS_WEBHOOK_URL', () => {
    it('writes the message to the outbox', async () => {
      const service = new SmsService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);
      const before = Date.now();

      service.send(codeSms());
      await service.flush();

      const outbox = join(dataDir, 'outbox');
      const files = readdirSync(outbox);
      expect(files).toHaveLength(1);
      const file = files[0] ?? '';
      expect(file).toMatch(/^\d{8}T\d{6}-\d{3}Z-\d{6}-[0-9a-f-]{36}\.sms\.json$/);
      const content = JSON.parse(readFileSync(join(outbox, file), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(Object.keys(content)).toEqual(['to', 'template', 'text', 'createdAt']);
      expect(content.to).toBe(PHONE);
      expect(content.template).toBe('mfa-code');
      expect(content.text).toBe(`Your CodexFlow sign-in code is ${CODE}.`);
      expect(Date.parse(String(content.createdAt))).toBeGreaterThanOrEqual(before);
    });

    it('keeps outbox files private to the owner', async () => {
      const service = new SmsService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);

      service.send(codeSms());
      await service.flush();

      const outbox = join(dataDir, 'outbox');
      const [file] = readdirSync(outbox);
      expect(statSync(outbox).mode & 0o777).toBe(0o700);
      expect(statSync(join(outbox, file ?? '')).mode & 0o777).toBe(0o600);
    });

    it('names files in the order messages were sent', async () => {
      const service = new SmsService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);
      const recipients = ['+4915100000001', '+4915100000002', '+4915100000003'];

      recipients.forEach((to) => service.send(codeSms(to)));
      await service.flush();

      const outbox = join(dataDir, 'outbox');
      const files = readdirSync(outbox).sort();
      const sentTo = files.map(
        (file) => (JSON.parse(readFileSync(join(outbox, file), 'utf8')) as OutgoingSms).to,
      );
      expect(sentTo).toEqual(recipients);
    });

    it('logs the file with a masked phone and no text', async () => {
      const service = new SmsService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);

      service.send(codeSms());
      await service.flush();

      const [file] = readdirSync(join(dataDir, 'outbox'));
      expect(logs.log).toHaveBeenCalledWith(
        expect.objectContaining({ template: 'mfa-code', to: '***89', file }),
        'sms written to outbox',
      );
      const logged = allLogArguments();
      expect(logged).not.toContain('123456789');
      expect(logged).not.toContain(CODE);
      expect(logged).not.toContain('sign-in code');
    });

    it('retries and gives up when the outbox cannot be written', async () => {
      const notAFolder = join(dataDir, 'file');
      writeFileSync(notAFolder, '');
      const service = new SmsService(loadConfig({ DATA_DIR: notAFolder }), FAST_RETRIES);

      expect(() => service.send(codeSms())).not.toThrow();
      await service.flush();

      expect(logs.warn).toHaveBeenCalledTimes(3);
      expect(logs.warn).toHaveBeenNthCalledWith(
        1,
        expect.objectContaining({ attempt: 1, to: '***89', retryInMs: 1 }),
        'sms delivery failed',
      );
      expect(logs.error).toHaveBeenCalledTimes(1);
      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: 3, code: 'ENOTDIR', template: 'mfa-code' }),
        'sms not delivered: giving up',
      );
    });
  });

  describe('with SMS_WEBHOOK_URL', () => {
    it('does not throw when the provider is unreachable', async () => {
      const port = await closedPort();
      const config = loadConfig({
        DATA_DIR: dataDir,
        SMS_WEBHOOK_URL: `http://127.0.0.1:${port}/sms`,
      });
      const service = new SmsService(config, FAST_RETRIES);

      expect(() => service.send(codeSms())).not.toThrow();
      await service.flush();

      expect(logs.warn).toHaveBeenCalledTimes(3);
      expect(logs.warn).toHaveBeenNthCalledWith(
        1,
        expect.objectContaining({ attempt: 1, code: 'ECONNREFUSED', to: '***89' }),
        'sms delivery failed',
      );
      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: 3, to: '***89' }),
        'sms not delivered: giving up',
      );
      expect(allLogArguments()).not.toContain(CODE);
      expect(allLogArguments()).not.toContain('123456789');
    });

    it('does not throw when fetch throws synchronously', async () => {
      jest.spyOn(globalThis, 'fetch').mockImplementation(() => {
        throw new Error('fetch exploded');
      });
      const config = loadConfig({ DATA_DIR: dataDir, SMS_WEBHOOK_URL: 'http://127.0.0.1:9/' });
      const service = new SmsService(config, FAST_RETRIES);

      expect(() => service.send(codeSms())).not.toThrow();
      await service.flush();

      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: 3, error: 'fetch exploded' }),
        'sms not delivered: giving up',
      );
    });

    it('moves URL credentials into a Basic Authorization header', async () => {
      const fetchMock = jest
        .spyOn(globalThis, 'fetch')
        .mockResolvedValue(new Response(null, { status: 202 }));
      const config = loadConfig({
        DATA_DIR: dataDir,
        SMS_WEBHOOK_URL: 'http://api%20user:p%40ss@127.0.0.1:9/sms?route=eu',
      });
      const service = new SmsService(config, FAST_RETRIES);

      service.send(codeSms());
      await service.flush();

      expect(fetchMock).toHaveBeenCalledTimes(1);
      const [url, init] = fetchMock.mock.calls[0] ?? [];
      expect(url).toBe('http://127.0.0.1:9/sms?route=eu');
      expect(init?.headers).toEqual({
        Authorization: `Basic ${Buffer.from('api user:p@ss').toString('base64')}`,
        'Content-Type': 'application/json',
      });
      expect(JSON.parse(init?.body as string)).toEqual({
        phone: PHONE,
        text: `Your CodexFlow sign-in code is ${CODE}.`,
      });
      expect(allLogArguments()).not.toContain('p@ss');
    });
  });

  describe('send', () => {
    it('drops a phone number that is not E.164', async () => {
      const service = new SmsService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);

      expect(() => service.send(codeSms('0151 23456789'))).not.toThrow();
      await service.flush(100);

      expect(logs.error).toHaveBeenCalledWith(
        { template: 'mfa-code', to: '***89' },
        'sms dropped: the recipient is not an E.164 phone number such as +4915123456789',
      );
      expect(() => readdirSync(join(dataDir, 'outbox'))).toThrow(/ENOENT/);
    });

    it('does not throw on a message that is not an object', () => {
      const service = new SmsService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);

      expect(() => service.send(undefined as unknown as OutgoingSms)).not.toThrow();
      expect(logs.error).toHaveBeenCalledTimes(1);
    });
  });

  describe('onApplicationShutdown', () => {
    it('drops messages sent after shutdown with an error log', async () => {
      const service = new SmsService(loadConfig({ DATA_DIR: dataDir }), FAST_RETRIES);
      await service.onApplicationShutdown();

      expect(() => service.send(codeSms())).not.toThrow();

      expect(logs.error).toHaveBeenCalledWith(
        { template: 'mfa-code', to: '***89' },
        'sms dropped: the sms service has shut down',
      );
      await service.flush(100);
    });

    it('stops waiting retries once the flush times out', async () => {
      jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 503 }));
      const config = loadConfig({
        DATA_DIR: dataDir,
        SMS_WEBHOOK_URL: 'http://127.0.0.1:9/',
        SHUTDOWN_TIMEOUT_SECONDS: '1',
      });
      const service = new SmsService(config, { maxAttempts: 5, baseDelayMs: 60_000 });
      service.send(codeSms());

      await service.onApplicationShutdown();

      expect(logs.warn).toHaveBeenCalledWith(
        { pending: 1 },
        'sms queue not empty at shutdown: undelivered messages are lost',
      );
      await expect(service.flush(100)).resolves.toBeUndefined();
    });
  });
});
