import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';

import { loadConfig } from '@codexflow/core';
import { type OutgoingSms, SmsService } from '@codexflow/mail';
import {
  createTempDir,
  type SmsReceiver,
  startSmsReceiver,
  type TempDir,
} from '@codexflow/testing';

const FAST_RETRIES = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

function codeSms(to: string, code: string): OutgoingSms {
  return { to, template: 'mfa-code', text: `Your CodexFlow sign-in code is ${code}.` };
}

describe('SMS delivery over the webhook', () => {
  let dataDir: TempDir;
  let receiver: SmsReceiver;
  let service: SmsService;
  let warn: jest.Mock;
  let error: jest.Mock;

  beforeEach(async () => {
    dataDir = createTempDir();
    receiver = await startSmsReceiver();
    const config = loadConfig({ SMS_WEBHOOK_URL: receiver.url, DATA_DIR: dataDir.path });
    service = new SmsService(config, FAST_RETRIES);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined) as jest.Mock;
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined) as jest.Mock;
  });

  afterEach(async () => {
    await service.onApplicationShutdown();
    await receiver.close();
    jest.restoreAllMocks();
    dataDir.remove();
  });

  it('delivers a message with phone and text', async () => {
    service.send(codeSms('+4915100000001', '123456'));

    const sms = await receiver.waitForSms({ phone: '+4915100000001' });

    expect(sms.phone).toBe('+4915100000001');
    expect(sms.text).toBe('Your CodexFlow sign-in code is 123456.');
    expect(sms.code).toBe('123456');
    expect(receiver.requestCount).toBe(1);
  });

  it('delivers after two 503 responses', async () => {
    receiver.failNext(2);

    service.send(codeSms('+4915100000002', '234567'));
    await service.flush();

    const sms = await receiver.waitForSms({ text: /234567/ });
    expect(sms.phone).toBe('+4915100000002');
    expect(receiver.messages).toHaveLength(1);
    expect(receiver.requestCount).toBe(3);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenNthCalledWith(
      2,
      expect.objectContaining({ attempt: 2, status: 503, to: '***02', retryInMs: 10 }),
      'sms delivery failed',
    );
    expect(error).not.toHaveBeenCalled();
  });

  it('retries a 429 response', async () => {
    receiver.failNext(1, 429);

    service.send(codeSms('+4915100000003', '345678'));
    await service.flush();

    await expect(receiver.waitForSms({ phone: '+4915100000003' })).resolves.toMatchObject({
      code: '345678',
    });
    expect(receiver.requestCount).toBe(2);
  });

  it('does not retry a 400 response', async () => {
    receiver.failNext(1, 400);

    service.send(codeSms('+4915100000004', '456789'));
    await service.flush();

    expect(receiver.requestCount).toBe(1);
    expect(receiver.messages).toHaveLength(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      expect.objectContaining({ attempts: 1, status: 400, permanent: true, to: '***04' }),
      'sms not delivered: giving up',
    );
  });

  it('logs without throwing when the receiver is gone', async () => {
    await receiver.close();

    expect(() => service.send(codeSms('+4915100000005', '567890'))).not.toThrow();
    await expect(service.flush()).resolves.toBeUndefined();

    expect(warn).toHaveBeenCalledTimes(4);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      expect.objectContaining({ attempts: 4, code: 'ECONNREFUSED', template: 'mfa-code' }),
      'sms not delivered: giving up',
    );
    expect(JSON.stringify([warn.mock.calls, error.mock.calls])).not.toMatch(/567890|4915100/);
  });
});

describe('SMS receiver', () => {
  let receiver: SmsReceiver;

  beforeEach(async () => {
    receiver = await startSmsReceiver();
  });

  afterEach(async () => {
    await receiver.close();
  });

  async function post(body: unknown, path = '/'): Promise<number> {
    const response = await fetch(new URL(path, receiver.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    await response.body?.cancel();
    return response.status;
  }

  it('returns each message to one wait only', async () => {
    await post({ phone: '+4915100000010', text: 'first 111111' });
    await post({ phone: '+4915100000010', text: 'second 222222' });

    const first = await receiver.waitForSms({ phone: '+4915100000010' });
    const second = await receiver.waitForSms({ phone: '+4915100000010' });

    expect(first.code).toBe('111111');
    expect(second.code).toBe('222222');
  });

  it('resolves a wait started before the message arrives', async () => {
    const waiting = receiver.waitForSms((sms) => sms.text === 'later');

    await post({ phone: '+4915100000011', text: 'later' });

    await expect(waiting).resolves.toEqual({ phone: '+4915100000011', text: 'later' });
  });

  it('takes the first 6-digit number as the code', async () => {
    await post({ phone: '+4915100000012', text: 'ref 1234567, code 654321 or 111111' });

    await expect(receiver.waitForSms({})).resolves.toMatchObject({ code: '654321' });
  });

  it('lists the messages that arrived when a wait times out', async () => {
    await post({ phone: '+4915100000013', text: 'hello' });

    await expect(receiver.waitForSms({ phone: '+4915100000099' }, 50)).rejects.toThrow(
      /no SMS matching \{ phone \+4915100000099 \} arrived within 50 ms; received 1 message:\n {2}- to \+4915100000013, text "hello"/,
    );
  });

  it('rejects invalid requests without keeping them', async () => {
    expect(await post('not json')).toBe(400);
    expect(await post({ phone: 49151, text: 'x' })).toBe(400);
    expect(await post({ phone: '+4915100000014', text: 'x' }, '/other')).toBe(404);
    expect(receiver.messages).toHaveLength(0);
    expect(receiver.requestCount).toBe(3);
  });

  it('rejects pending waits on close', async () => {
    const waiting = receiver.waitForSms({ phone: '+4915100000015' });

    await receiver.close();

    await expect(waiting).rejects.toThrow(/SMS receiver closed before a message matching/);
  });
});
