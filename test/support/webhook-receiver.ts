import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import { MessageWaiter } from '@codexflow/testing';

/** One JSON body the receiver accepted. */
export type ReceivedPost = Record<string, unknown>;

export interface WebhookReceiver {
  /** `http://127.0.0.1:PORT/`, ready to use as a webhook URL. */
  url: string;
  /** Every body accepted so far, in arrival order. */
  posts: ReceivedPost[];
  /** Requests received so far, including the failed ones. */
  readonly requestCount: number;
  /**
   * Resolves with the first accepted body, already received or still to come, that matches and
   * that no earlier call returned. Rejects after `timeoutMs` (default 10 s) with a message that
   * lists the bodies that did arrive.
   */
  waitForPost(match: (post: ReceivedPost) => boolean, timeoutMs?: number): Promise<ReceivedPost>;
  /** Responds to the next `count` requests with `status` (default 503) and keeps none of them. */
  failNext(count: number, status?: number): void;
  /** Waits this long before responding to each later request. */
  respondAfter(delayMs: number): void;
  /** Stops listening and rejects every pending `waitForPost`. */
  close(): Promise<void>;
}

const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Starts a real HTTP server on a free port of 127.0.0.1 that accepts `POST /` with any JSON
 * object body, responds with 204 and keeps the body, the way an alerting endpoint would. For tests only.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received = new MessageWaiter<ReceivedPost>({
    noun: 'webhook post',
    counted: ['post', 'posts'],
    describe: (post) => JSON.stringify(post),
  });
  let failuresLeft = 0;
  let failureStatus = 503;
  let responseDelayMs = 0;
  let requestCount = 0;

  const server = createServer((request, response) => {
    requestCount += 1;
    void handle(request, response).catch(() => response.destroy());
  });
  // Connection errors, such as a client that resets, are ignored so they cannot crash the test run.
  server.on('clientError', (_error, socket) => socket.destroy());

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (responseDelayMs > 0) {
      await delay(responseDelayMs);
    }
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      response.writeHead(failureStatus).end('failure injected by the webhook receiver\n');
      return;
    }
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://x').pathname !== '/') {
      response.writeHead(404).end('only POST / is served\n');
      return;
    }
    const post = parseObject(body);
    if (post === undefined) {
      response.writeHead(400).end('body must be a JSON object\n');
      return;
    }
    response.writeHead(204).end();
    received.add(post);
  }

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
    posts: received.messages,

    get requestCount() {
      return requestCount;
    },

    waitForPost(match, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS) {
      return received.waitFor(match, 'the given predicate', timeoutMs);
    },

    failNext(count, status = 503) {
      failuresLeft = count;
      failureStatus = status;
    },

    respondAfter(delayMs) {
      responseDelayMs = delayMs;
    },

    async close() {
      received.rejectAll(
        (description) => `webhook receiver closed before a post matching ${description} arrived`,
      );
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Clients such as fetch keep idle connections open, which would hold close() forever.
      server.closeAllConnections();
      await closed;
    },
  };
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

function parseObject(body: string): ReceivedPost | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as ReceivedPost)
      : undefined;
  } catch {
    return undefined;
  }
}
