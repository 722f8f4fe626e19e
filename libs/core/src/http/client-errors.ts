import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

import { Logger } from '@nestjs/common';

import { PROBLEM_CONTENT_TYPE, statusTitle } from './problem-details.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** The headers every response carries, repeated for responses written before Express runs. */
const SECURITY_HEADERS: Record<string, string> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

const PARSER_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const HEADERS_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 60_000;

function problemResponse(status: number, detail: string): string {
  const requestId = randomUUID();
  const body = JSON.stringify({
    type: 'about:blank',
    title: statusTitle(status),
    status,
    detail,
    instance: '/',
    requestId,
  });
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(body)),
    [REQUEST_ID_HEADER]: requestId,
    Connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  return `HTTP/1.1 ${status} ${statusTitle(status)}\r\n${head}\r\n\r\n${body}`;
}

/**
 * Responds with problem+json to requests that Node's HTTP parser rejects
 * before Express receives them (oversized headers, malformed request lines,
 * timeouts), and bounds how long a client may take to send a request.
 */
export function hardenHttpServer(server: Server): void {
  const logger = new Logger('HttpServer');
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const code = error.code ?? 'unknown';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }

    const status = PARSER_ERROR_STATUS[code] ?? 400;
    logger.warn({ code, status }, 'request rejected by the HTTP parser');
    socket.end(problemResponse(status, `The request could not be parsed as HTTP (${code})`));
  });
}
