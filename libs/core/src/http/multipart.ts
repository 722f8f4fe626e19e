import { PassThrough, type Readable } from 'node:stream';

import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import busboy from 'busboy';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

import { ProblemException } from './problem-details.js';

export const MULTIPART_TYPE = 'multipart/form-data';
const MULTIPART_ROUTE = 'codexflow:multipart-route';

/**
 * Room for the part headers and boundaries around the one file of an upload.
 * A multipart body longer than the file limit plus this is rejected unread.
 */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export function multipartBodyCap(fileLimitBytes: number): number {
  return fileLimitBytes + MULTIPART_OVERHEAD_BYTES;
}

/** Marks a route that reads a multipart/form-data body itself. */
export const AcceptsMultipart = () => SetMetadata(MULTIPART_ROUTE, true);

/** Rejects with 415 the multipart bodies sent to routes that only read JSON. */
@Injectable()
export class MultipartRouteInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const accepts = this.reflector.getAllAndOverride<boolean | undefined>(MULTIPART_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (accepts !== true && typeof request.is(MULTIPART_TYPE) === 'string') {
      throw new ProblemException(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'The request body must be sent as application/json',
      );
    }
    return next.handle();
  }
}

/** The file part of an upload, as the client sent it. */
export interface IncomingFile {
  /** The name from the part's headers, paths included, which the receiver must check. */
  fileName: string;
  /** The bytes, a stream that fails with 413 once the file passes the limit. */
  stream: Readable;
}

export interface SingleFileUpload<T> {
  /** The form field that must carry the file. */
  field: string;
  maxBytes: number;
  /** Stores the file. It must read the stream to its end or fail, and undo its own partial work. */
  store: (file: IncomingFile) => Promise<T>;
  /** Undoes a stored file when the rest of the body turns out to be unacceptable. */
  discard: (stored: T) => Promise<void>;
}

const problem = (status: number, detail: string) => new ProblemException(status, detail);

/**
 * Streams the one file of a multipart/form-data request into `store`, without
 * holding the file in memory. The body must contain exactly one part, a file
 * in `field`, of at most `maxBytes`. Anything else rejects with a 4xx problem
 * after `store`'s work is undone, so a rejected upload leaves nothing behind.
 * The rest of a rejected body is read and dropped, so the client receives the
 * response rather than a reset connection.
 */
export async function receiveSingleFile<T>(
  request: Request,
  upload: SingleFileUpload<T>,
): Promise<T> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      // Keep the client's path so the receiver can reject it instead of silently dropping it.
      preservePath: true,
      // Browsers send file names as raw UTF-8, not in the latin1 that busboy assumes.
      defParamCharset: 'utf8',
      // busboy reports the limit once a file reaches it, so one byte more means "over".
      limits: { files: 1, fields: 0, fileSize: upload.maxBytes + 1, headerPairs: 20 },
    });
  } catch {
    throw problem(HttpStatus.BAD_REQUEST, 'The multipart body has no valid boundary');
  }

  return new Promise<T>((resolve, reject) => {
    const bodyCap = multipartBodyCap(upload.maxBytes);
    let received = 0;
    let stored: Promise<T> | undefined;
    let current: PassThrough | undefined;
    let failure: Error | undefined;
    let settled = false;

    const settle = async (): Promise<void> => {
      if (settled) {
        return;
      }
      settled = true;
      const outcome = await stored?.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (failure !== undefined) {
        if (outcome?.ok === true) {
          await upload.discard(outcome.value);
        }
        reject(failure);
      } else if (outcome === undefined) {
        reject(
          problem(HttpStatus.BAD_REQUEST, `The body has no file in the field "${upload.field}"`),
        );
      } else if (outcome.ok) {
        resolve(outcome.value);
      } else {
        reject(outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error)));
      }
    };

    const fail = (reason: unknown): void => {
      if (failure !== undefined) {
        return;
      }
      failure = reason instanceof Error ? reason : new Error(String(reason));
      request.unpipe(parser);
      request.resume();
      current?.destroy(failure);
      void settle().catch(reject);
    };

    parser.on('file', (name, stream, info) => {
      // busboy fails a file stream whose body ends early; unhandled, that error would end the process.
      stream.on('error', () => {
        fail(problem(HttpStatus.BAD_REQUEST, 'The multipart body is malformed or incomplete'));
      });
      if (stored !== undefined || failure !== undefined) {
        stream.resume();
        return;
      }
      if (name !== upload.field) {
        stream.resume();
        fail(
          problem(HttpStatus.BAD_REQUEST, `The file must be sent in the field "${upload.field}"`),
        );
        return;
      }
      const guarded = new PassThrough();
      // A store learns of a failure through its reads, and one that never reads must not crash the process.
      guarded.on('error', () => undefined);
      current = guarded;
      stream.on('limit', () => {
        fail(
          problem(
            HttpStatus.PAYLOAD_TOO_LARGE,
            `The file exceeds the limit of ${upload.maxBytes} bytes`,
          ),
        );
        stream.resume();
      });
      stream.pipe(guarded);
      // busboy reports an empty filename parameter as undefined.
      const fileName = (info.filename as string | undefined) ?? '';
      stored = upload.store({ fileName, stream: guarded });
      stored.catch(fail);
    });
    parser.on('fieldsLimit', () => {
      fail(
        problem(
          HttpStatus.BAD_REQUEST,
          `Send exactly one file, with a file name, in the field "${upload.field}" and no other field`,
        ),
      );
    });
    parser.on('filesLimit', () => {
      fail(problem(HttpStatus.BAD_REQUEST, 'Send exactly one file'));
    });
    parser.on('partsLimit', () => {
      fail(problem(HttpStatus.BAD_REQUEST, 'The multipart body has too many parts'));
    });
    parser.on('error', () => {
      fail(problem(HttpStatus.BAD_REQUEST, 'The multipart body is malformed or incomplete'));
    });
    parser.on('close', () => {
      void settle().catch(reject);
    });

    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyCap) {
        fail(
          problem(
            HttpStatus.PAYLOAD_TOO_LARGE,
            `The upload exceeds the limit of ${upload.maxBytes} bytes`,
          ),
        );
      }
    });
    request.on('close', () => {
      if (!request.complete) {
        fail(problem(HttpStatus.BAD_REQUEST, 'The upload was interrupted'));
      }
    });
    request.pipe(parser);
  });
}
