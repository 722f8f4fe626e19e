import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const MIN_SECRET_TOKEN_BYTES = 16;

/** Generates an opaque secret (refresh, verification or reset token) as base64url text. */
export function generateSecretToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_TOKEN_BYTES) {
    throw new RangeError(
      `secret tokens need at least ${MIN_SECRET_TOKEN_BYTES} random bytes; got ${bytes}`,
    );
  }
  return randomBytes(bytes).toString('base64url');
}

/** Hashes a secret token to hex SHA-256, the form in which secret tokens are stored. */
export function hashSecretToken(token: string): string {
  return sha256(token).toString('hex');
}

/**
 * Compares two secrets in constant time. Both sides are hashed first, so inputs of
 * different lengths are compared without throwing.
 */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
