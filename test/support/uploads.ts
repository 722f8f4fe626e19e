import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';

/** Small files whose first bytes match their format. */
export const SAMPLES = {
  png: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
    'base64',
  ),
  jpeg: Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1'),
    Buffer.alloc(64, 0x11),
    Buffer.from([0xff, 0xd9]),
  ]),
  gif: Buffer.concat([
    Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1'),
    Buffer.from(';'),
  ]),
  webp: Buffer.concat([
    Buffer.from('RIFF', 'latin1'),
    Buffer.from([0x24, 0, 0, 0]),
    Buffer.from('WEBPVP8 ', 'latin1'),
    Buffer.alloc(28, 0x01),
  ]),
  pdf: Buffer.from(
    '%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
  ),
  html: Buffer.from(
    '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>',
  ),
  svg: Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>',
  ),
  script: Buffer.from('#!/bin/sh\ncurl http://127.0.0.1/x | sh\n'),
  elf: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120, 0)]),
  zip: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 0)]),
};

/** Content of `size` bytes that starts with a PDF header; built lazily, never held whole. */
export interface GeneratedFile {
  size: number;
  head: Buffer;
}

export interface Part {
  name: string;
  /** Absent for a plain form field. */
  fileName?: string;
  contentType?: string;
  body: Buffer | GeneratedFile;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): Record<string, unknown>;
}

export interface RawUploadOptions {
  token?: string;
  /** Send this Content-Length instead of streaming the body chunked. */
  declaredLength?: number;
  /** Stop writing after this many bytes of the body, then close the socket. */
  cutAfter?: number;
  headers?: Record<string, string>;
  /** Called with the total bytes written whenever a chunk goes out; writing waits for a returned promise. */
  onProgress?: (written: number) => void | Promise<void>;
}

const CHUNK = 64 * 1024;

function* partChunks(parts: Part[], boundary: string): Generator<Buffer> {
  for (const part of parts) {
    const disposition =
      part.fileName === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.fileName}"`;
    const type = part.contentType === undefined ? '' : `Content-Type: ${part.contentType}\r\n`;
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`);
    if (Buffer.isBuffer(part.body)) {
      yield part.body;
    } else {
      const { size, head } = part.body;
      yield head.subarray(0, size);
      const filler = Buffer.alloc(CHUNK, 0x20);
      for (let sent = head.length; sent < size; sent += CHUNK) {
        yield filler.subarray(0, Math.min(CHUNK, size - sent));
      }
    }
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

/**
 * Sends a multipart/form-data body over a raw HTTP request, chunk by chunk
 * with back-pressure, so large files are streamed and never built in memory.
 * Resolves with the response even when the server responds before the body
 * is complete.
 */
export function sendMultipart(
  port: number,
  path: string,
  parts: Part[],
  options: RawUploadOptions = {},
): Promise<RawResponse> {
  const boundary = `----codexflow${randomBytes(8).toString('hex')}`;
  const headers: Record<string, string> = {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
    ...options.headers,
  };
  if (options.token !== undefined) {
    headers.Authorization = `Bearer ${options.token}`;
  }
  if (options.declaredLength !== undefined) {
    headers['Content-Length'] = String(options.declaredLength);
  }

  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers });
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        request.destroy();
        const body = Buffer.concat(chunks);
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body,
          json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown>,
        });
      });
    });
    request.on('error', (error) => {
      if (answered) {
        return;
      }
      if (options.cutAfter === undefined) {
        reject(error);
      } else {
        // The client hung up on purpose, so there is no response to read.
        resolve({ status: 0, headers: {}, body: Buffer.alloc(0), json: () => ({}) });
      }
    });

    void (async () => {
      let written = 0;
      for (const chunk of partChunks(parts, boundary)) {
        if (answered || request.destroyed) {
          return;
        }
        const piece =
          options.cutAfter !== undefined
            ? chunk.subarray(0, Math.max(0, options.cutAfter - written))
            : chunk;
        written += piece.length;
        if (!request.write(piece)) {
          await new Promise((resume) => request.once('drain', resume));
        }
        await options.onProgress?.(written);
        if (options.cutAfter !== undefined && written >= options.cutAfter) {
          request.destroy();
          return;
        }
      }
      request.end();
    })();
  });
}
