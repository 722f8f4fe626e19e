import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { MessageWaiter } from './message-waiter.js';

/** One message the receiver accepted. */
export interface ReceivedSms {
  phone: string;
  text: string;
  /** The first 6-digit number in the text, such as a sign-in code. */
  code?: string;
}

/** Criteria for `waitForSms`: a phone number and a text pattern, or any predicate. */
export type SmsMatch = { phone?: string; text?: RegExp } | ((sms: ReceivedSms) => boolean);

export interface SmsReceiver {
  /** `http://127.0.0.1:PORT/`, ready to use as SMS_WEBHOOK_URL. */
  url: string;
  /** Every message accepted so far, in arrival order. */
  messages: ReceivedSms[];
  /** Requests received so far, including the failed and invalid ones. */
  readonly requestCount: number;
  /**
   * Resolves with the first message, already received or still to come, that matches and that
   * no earlier call returned. Rejects after `timeoutMs` (default 10 s) with a message that
   * lists the messages that did arrive.
   */
  waitForSms(match: SmsMatch, timeoutMs?: number): Promise<ReceivedSms>;
  /** Responds to the next `count` requests with `status` (default 503) and keeps none of them. */
  failNext(count: number, status?: number): void;
  /** Stops listening and rejects every pending `waitForSms`. */
  close(): Promise<void>;
}

interface InjectedFailure {
  count: number;
  status: number;
}

const SIX_DIGITS = /(?<!\d)\d{6}(?!\d)/;
const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
const DEFAULT_FAILURE_STATUS = 503;
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Starts a real HTTP server on a free loopback port that accepts `POST /` with a JSON body
 * `{ "phone": …, "text": … }`, the request SmsService sends, and keeps every message. For tests
 * only.
 */
export async function startSmsReceiver(): Promise<SmsReceiver> {
  const received = new MessageWaiter<ReceivedSms>({
    noun: 'SMS',
    counted: ['message', 'messages'],
    describe: (sms) => `to ${sms.phone}, text ${JSON.stringify(sms.text)}`,
  });
  const failure: InjectedFailure = { count: 0, status: DEFAULT_FAILURE_STATUS };
  let requestCount = 0;

  const server = createServer((request, response) => {
    requestCount += 1;
    void handleRequest(request, response, failure).then(
      (sms) => {
        if (sms !== undefined) {
          received.add(sms);
        }
      },
      () => response.destroy(),
    );
  });
  // Connection errors, such as a client that resets, are ignored so they cannot crash the test run.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    messages: received.messages,

    get requestCount() {
      return requestCount;
    },

    async waitForSms(match, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS) {
      return received.waitFor(toPredicate(match), describeMatch(match), timeoutMs);
    },

    failNext(count, status = DEFAULT_FAILURE_STATUS) {
      failure.count = count;
      failure.status = status;
    },

    async close() {
      received.rejectAll(
        (description) => `SMS receiver closed before a message matching ${description} arrived`,
      );
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Clients such as fetch keep idle connections open, which would hold close() forever.
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Reads the whole body, then responds with the injected failure status while failures remain,
 * 404 or 405 for another path or method, 400 for a body that is not `{ phone, text }`, else 204.
 * Returns the accepted message.
 */
async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  failure: InjectedFailure,
): Promise<ReceivedSms | undefined> {
  let body: string;
  try {
    body = await readBody(request);
  } catch {
    respond(response, 413, 'request body is larger than 64 KiB');
    return undefined;
  }

  if (failure.count > 0) {
    failure.count -= 1;
    respond(response, failure.status, 'failure injected by the SMS receiver');
    return undefined;
  }
  if (new URL(request.url ?? '/', 'http://receiver').pathname !== '/') {
    respond(response, 404, 'only POST / is served');
    return undefined;
  }
  if (request.method !== 'POST') {
    respond(response, 405, 'only POST / is served');
    return undefined;
  }

  const sms = parseSms(body);
  if (sms === undefined) {
    respond(response, 400, 'body must be JSON { "phone": string, "text": string }');
    return undefined;
  }
  respond(response, 204);
  return sms;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new RangeError('request body too large');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function respond(response: ServerResponse, status: number, message?: string): void {
  if (message === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
}

function parseSms(body: string): ReceivedSms | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return undefined;
  }

  const { phone, text } = parsed as { phone?: unknown; text?: unknown };
  if (typeof phone !== 'string' || typeof text !== 'string') {
    return undefined;
  }
  const code = SIX_DIGITS.exec(text)?.[0];
  return code === undefined ? { phone, text } : { phone, text, code };
}

function toPredicate(match: SmsMatch): (sms: ReceivedSms) => boolean {
  if (typeof match === 'function') {
    return match;
  }
  const { phone, text } = match;
  return (sms) =>
    (phone === undefined || sms.phone === phone) && (text === undefined || text.test(sms.text));
}

function describeMatch(match: SmsMatch): string {
  if (typeof match === 'function') {
    return 'the given predicate';
  }
  const parts = [
    match.phone === undefined ? undefined : `phone ${match.phone}`,
    match.text === undefined ? undefined : `text ${String(match.text)}`,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? `{ ${parts.join(', ')} }` : 'any message';
}
