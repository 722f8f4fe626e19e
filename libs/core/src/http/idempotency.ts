import { createHash } from 'node:crypto';

import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { InjectConnection } from '@nestjs/mongoose';
import type { Request, Response } from 'express';
import type { Connection } from 'mongoose';
import { catchError, from, type Observable, of, switchMap, throwError } from 'rxjs';

import { isDuplicateKeyError } from '../database/claims.js';
import { canonicalJson } from '../security/canonical-json.js';
import { assertSafeInput } from './validation.pipe.js';
import { ProblemException } from './problem-details.js';

export const IDEMPOTENT_ROUTE = 'codexflow:idempotent-route';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;
const RETENTION_MS = 24 * 60 * 60 * 1000;

/** Marks a create route that honours the Idempotency-Key header. */
export const Idempotent = () => SetMetadata(IDEMPOTENT_ROUTE, true);

interface IdempotencyRecord {
  _id: string;
  bodyHash: string;
  createdAt: Date;
  status?: number;
  body?: unknown;
}

/** A response kept for replay under an Idempotency-Key. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * Keys and stored responses of idempotent create requests. A key is scoped to
 * the caller, the method and the path, and lives 24 hours.
 */
@Injectable()
export class IdempotencyStore {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** Returns the record id of the request's Idempotency-Key, undefined without one, or throws 400. */
  recordId(request: Request): string | undefined {
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (key === undefined) {
      return undefined;
    }
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new ProblemException(
        HttpStatus.BAD_REQUEST,
        'Idempotency-Key must be 1-255 letters, digits or . _ : -',
      );
    }
    // The authentication guard puts the verified principal on `request.user`.
    const { user } = request as Request & { user?: { userId?: string } };
    const caller = user?.userId ?? 'anonymous';
    return `${caller}:${request.method}:${request.originalUrl.split('?')[0]}:${key}`;
  }

  /**
   * Reserves the key for a request whose body hashes to `bodyHash`, or returns
   * the response to replay. The same key with another body is 422; while the
   * first request runs, 409.
   */
  async begin(id: string, bodyHash: string): Promise<StoredResponse | undefined> {
    const records = this.records();
    try {
      await records.insertOne({ _id: id, bodyHash, createdAt: new Date() });
      return undefined;
    } catch (error) {
      if (!isDuplicateKeyError(error)) {
        throw error;
      }
    }

    const existing = await records.findOne({ _id: id });
    if (existing === null || Date.now() - existing.createdAt.getTime() > RETENTION_MS) {
      await records.deleteOne({ _id: id });
      return this.begin(id, bodyHash);
    }
    if (existing.bodyHash !== bodyHash) {
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'This Idempotency-Key was used with a different request body',
      );
    }
    if (existing.status === undefined) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'A request with this Idempotency-Key is still in progress; retry shortly',
      );
    }
    return { status: existing.status, body: existing.body };
  }

  async complete(id: string, status: number, body: unknown): Promise<void> {
    await this.records().updateOne({ _id: id }, { $set: { status, body } });
  }

  /** Frees the key of a failed request, so the client may retry it. */
  async release(id: string): Promise<void> {
    await this.records().deleteOne({ _id: id });
  }

  /** Sends a stored response again, marked as a replay. */
  replay(response: Response, stored: StoredResponse): unknown {
    response.status(stored.status).setHeader('Idempotent-Replayed', 'true');
    return stored.body;
  }

  private records() {
    return this.connection.collection<IdempotencyRecord>('idempotency_records');
  }
}

/**
 * Replays the first response of a create request sent again with the same
 * Idempotency-Key and body within 24 hours, so a retried request creates
 * nothing new. The same key with another body is 422.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: IdempotencyStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const enabled = this.reflector.getAllAndOverride<boolean>(IDEMPOTENT_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!enabled) {
      return next.handle();
    }
    const request = context.switchToHttp().getRequest<Request>();
    const id = this.store.recordId(request);
    if (id === undefined) {
      return next.handle();
    }

    // The fingerprint reads the body before the validation pipe, so it checks the body first.
    assertSafeInput(request.body);
    const bodyHash = createHash('sha256').update(canonicalJson(request.body)).digest('hex');
    const response = context.switchToHttp().getResponse<Response>();

    return from(this.store.begin(id, bodyHash)).pipe(
      switchMap((stored) => {
        if (stored !== undefined) {
          return of(this.store.replay(response, stored));
        }
        const status = this.successStatus(context, request.method);
        return next.handle().pipe(
          switchMap((body) =>
            from(this.store.complete(id, status, body)).pipe(switchMap(() => of(body))),
          ),
          catchError((error: unknown) =>
            from(this.store.release(id)).pipe(switchMap(() => throwError(() => error))),
          ),
        );
      }),
    );
  }

  /** Returns the status Nest sends for the route: its @HttpCode, else 201 for POST and 200 otherwise. */
  private successStatus(context: ExecutionContext, method: string): number {
    const declared = this.reflector.get<number | undefined>(
      HTTP_CODE_METADATA,
      context.getHandler(),
    );
    return declared ?? (method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
  }
}
