import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';

import type { TestApp } from '@codexflow/testing';

/** A response read whole, with its body parsed when it is JSON. */
export interface ClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined for any other body. */
  body: Record<string, unknown> | undefined;
  durationMs: number;
}

export interface ClientRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is when `json` is not given, such as a body that does not parse. */
  rawBody?: string;
}

/**
 * Makes the app listen on a free port of 127.0.0.1, the address supertest then uses too, so
 * that other loopback addresses can act as other clients. Returns the port.
 */
export async function listenOnLoopback(testApp: TestApp): Promise<number> {
  await testApp.app.listen(0, '127.0.0.1');
  const address = testApp.app.getHttpServer().address();
  if (address === null || typeof address === 'string') {
    throw new Error('the app is not listening on a TCP port');
  }
  return address.port;
}

/**
 * Sends one request to 127.0.0.1:`port` from the loopback address `from`, such as 127.0.0.2,
 * so the app records it as another client address. Linux routes all of 127.0.0.0/8 to loopback.
 */
export function requestFrom(
  from: string,
  port: number,
  path: string,
  options: ClientRequest = {},
): Promise<ClientResponse> {
  const payload = options.json === undefined ? options.rawBody : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }

  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers,
        localAddress: from,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = /json/.test(response.headers['content-type'] ?? '');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            body: isJson && text !== '' ? (JSON.parse(text) as Record<string, unknown>) : undefined,
            durationMs: performance.now() - started,
          });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
