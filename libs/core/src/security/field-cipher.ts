import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import type { SecretKeyRing } from './secret-key-ring.js';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const KEY_PURPOSE = 'field-encryption';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const FORMAT = 'v1.<keyId>.<iv>.<ciphertext>.<tag>';

/**
 * Thrown when a stored value cannot be decrypted. The message names the key id or the kind of
 * problem, never the plaintext or the key.
 */
export class EncryptedValueError extends Error {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'EncryptedValueError';
  }
}

interface EncryptedParts {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/**
 * Encrypts restricted fields, such as MFA secrets and phone numbers, with AES-256-GCM under the
 * ENCRYPTION_KEYS ring. A value reads `v1.<keyId>.<iv>.<ciphertext>.<tag>` in base64url, so
 * it names the key that decrypts it, and keys rotate without rewriting every value at once.
 *
 * The caller's `context` (such as `mfa_factors.secret:usr_123`) is authenticated with the
 * value, so a value copied to another field or record fails to decrypt.
 */
export class FieldCipher {
  private readonly derivedKeys = new Map<string, Buffer>();

  constructor(private readonly keyRing: SecretKeyRing) {
    for (const key of keyRing.keys) {
      this.derivedKeys.set(key.id, keyRing.deriveKey(key, KEY_PURPOSE));
    }
  }

  /** Encrypts under the active key with a fresh random 96-bit IV, so equal inputs differ. */
  encrypt(plaintext: string, context: string): string {
    requireContext(context);
    const keyId = this.keyRing.active.id;
    const iv = randomBytes(IV_BYTES);

    const cipher = createCipheriv(ALGORITHM, this.derivedKey(keyId), iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(additionalData(keyId, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();

    return [VERSION, keyId, iv, ciphertext, tag]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /**
   * Decrypts a value written by `encrypt` under any key of the ring. Throws EncryptedValueError
   * when the value is malformed, its key is not in the ring, or authentication fails because a
   * byte changed or `context` differs from the one it was written with.
   */
  decrypt(value: string, context: string): string {
    requireContext(context);
    const { keyId, iv, ciphertext, tag } = parse(value);
    const key = this.derivedKeys.get(keyId);
    if (key === undefined) {
      throw new EncryptedValueError(
        `encrypted value uses key id "${keyId}", which is not in ENCRYPTION_KEYS. ` +
          'Add that key back to the ring to decrypt it.',
        keyId,
      );
    }

    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(keyId, context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new EncryptedValueError(
        `encrypted value under key id "${keyId}" failed authentication, ` +
          'so it was tampered with or belongs to another field or record',
        keyId,
      );
    }
  }

  /** Returns the id of the key that encrypted a value. Throws EncryptedValueError if malformed. */
  keyIdOf(value: string): string {
    return parse(value).keyId;
  }

  /** True when the value is not under the active key, so the rotation job should rewrite it. */
  needsReencryption(value: string): boolean {
    return this.keyIdOf(value) !== this.keyRing.active.id;
  }

  private derivedKey(keyId: string): Buffer {
    // Every key id of the ring was derived in the constructor.
    return this.derivedKeys.get(keyId)!;
  }
}

function requireContext(context: string): void {
  if (context.length === 0) {
    throw new TypeError('field encryption context must not be empty');
  }
}

/**
 * Authenticates the format version and key id along with the context. Key ids and the version
 * contain no NUL byte, so the encoding is unambiguous.
 */
function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}\0${keyId}\0${context}`, 'utf8');
}

/**
 * Splits a stored value into its parts. The key id sits between the version and the last three
 * parts, because key ids may themselves contain dots.
 */
function parse(value: string): EncryptedParts {
  const parts = value.split('.');
  if (parts.length < 5) {
    throw malformed('it has fewer than 5 dot-separated parts');
  }
  if (parts[0] !== VERSION) {
    throw malformed(`its format version is not ${VERSION}`);
  }

  const keyId = parts.slice(1, -3).join('.');
  const [iv, ciphertext, tag] = parts.slice(-3).map(decodeBase64Url);
  if (keyId.length === 0) {
    throw malformed('its key id is empty');
  }
  if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ciphertext === undefined) {
    throw malformed(`its IV must be ${IV_BYTES} bytes and its tag ${TAG_BYTES} bytes`);
  }
  return { keyId, iv, ciphertext, tag };
}

/** Decodes strict, unpadded base64url. Buffer.from alone skips invalid characters silently. */
function decodeBase64Url(part: string): Buffer {
  const decoded = Buffer.from(part, 'base64url');
  if (!BASE64URL.test(part) || decoded.toString('base64url') !== part) {
    throw malformed('a part is not valid base64url');
  }
  return decoded;
}

function malformed(reason: string): EncryptedValueError {
  return new EncryptedValueError(
    `encrypted value is malformed because ${reason}. Expected ${FORMAT}`,
  );
}
