import { createHmac, timingSafeEqual } from 'node:crypto';

import { HttpStatus } from '@nestjs/common';

import { ProblemException } from '../http/problem-details.js';
import type { SecretKeyRing } from '../security/secret-key-ring.js';
import type { Page } from './pagination.js';

export type CursorPosition = Record<string, string | number>;

const SIGNATURE_BYTES = 16;

/**
 * Opaque list cursors: the position of the last item, signed with a key from
 * the ring, so a cursor the server did not issue is rejected with 400.
 */
export class CursorCodec {
  constructor(private readonly keyRing: SecretKeyRing) {}

  encode(position: CursorPosition): string {
    const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
    return `${payload}.${this.sign(payload, this.keyRing.active.id)}`;
  }

  /**
   * Decodes a cursor issued with `encode({ ..., list })`, rejecting one that
   * another list issued, so a cursor only pages the list it came from.
   */
  decodeFor(cursor: string, list: string): CursorPosition {
    const position = this.decode(cursor);
    if (position.list !== list) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, 'cursor was issued for another list');
    }
    return position;
  }

  /** Returns the `after` id of a cursor issued for `list`, for lists ordered by public id. */
  decodeAfter(cursor: string, list: string): string {
    const after = this.decodeFor(cursor, list).after;
    if (typeof after !== 'string') {
      throw invalidCursor();
    }
    return after;
  }

  /**
   * Builds a page from rows fetched with `limit + 1`: the extra row only tells
   * that another page exists, and `positionOf` names where this one ended.
   */
  page<T>(rows: T[], limit: number, positionOf: (last: T) => CursorPosition): Page<T> {
    const data = rows.slice(0, limit);
    const last = data.at(-1);
    const nextCursor =
      rows.length > limit && last !== undefined ? this.encode(positionOf(last)) : null;
    return { data, nextCursor };
  }

  decode(cursor: string): CursorPosition {
    const [payload, signature, extra] = cursor.split('.');
    if (payload === undefined || signature === undefined || extra !== undefined) {
      throw invalidCursor();
    }

    const presented = Buffer.from(signature, 'base64url');
    const valid = this.keyRing.keys.some((key) => {
      const expected = Buffer.from(this.sign(payload, key.id), 'base64url');
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    });
    if (!valid) {
      throw invalidCursor();
    }

    let position: unknown;
    try {
      position = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw invalidCursor();
    }
    if (position === null || typeof position !== 'object' || Array.isArray(position)) {
      throw invalidCursor();
    }
    return position as CursorPosition;
  }

  private sign(payload: string, keyId: string): string {
    const key = this.keyRing.keys.find((candidate) => candidate.id === keyId)!;
    return createHmac('sha256', this.keyRing.deriveKey(key, 'list-cursor'))
      .update(payload)
      .digest()
      .subarray(0, SIGNATURE_BYTES)
      .toString('base64url');
  }
}

function invalidCursor(): ProblemException {
  return new ProblemException(
    HttpStatus.BAD_REQUEST,
    'cursor is invalid; use a nextCursor value returned by this list',
  );
}
