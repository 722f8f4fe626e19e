import { hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AppConfig } from '../config/app-config.js';

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface SecretKey {
  id: string;
  key: Buffer;
}

/**
 * The ENCRYPTION_KEYS ring: `id:base64key` entries separated by commas, each
 * key 32 random bytes. The first key encrypts and signs; every key still
 * decrypts and verifies, so keys rotate without downtime.
 */
export class SecretKeyRing {
  private constructor(readonly keys: readonly SecretKey[]) {}

  static parse(value: string): SecretKeyRing {
    const keys = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0)
      .map((entry) => {
        const separator = entry.indexOf(':');
        const id = entry.slice(0, separator);
        const key = Buffer.from(entry.slice(separator + 1), 'base64');
        if (separator < 1 || !KEY_ID.test(id) || key.length !== KEY_BYTES) {
          throw new Error(
            'ENCRYPTION_KEYS must be comma-separated id:key entries, each key 32 bytes in base64 ' +
              "(generate one with: node -e \"console.log('k1:' + require('crypto').randomBytes(32).toString('base64'))\")",
          );
        }
        return { id, key };
      });

    if (keys.length === 0) {
      throw new Error('ENCRYPTION_KEYS contains no key');
    }
    if (new Set(keys.map((key) => key.id)).size !== keys.length) {
      throw new Error('ENCRYPTION_KEYS contains the same key id twice');
    }
    return new SecretKeyRing(keys);
  }

  /**
   * Uses ENCRYPTION_KEYS when set. Outside production a key is generated once
   * under DATA_DIR/keys and reused; production without ENCRYPTION_KEYS fails.
   */
  static load(config: AppConfig): SecretKeyRing {
    if (config.encryptionKeys) {
      return SecretKeyRing.parse(config.encryptionKeys);
    }
    if (config.isProduction) {
      throw new Error('ENCRYPTION_KEYS is required when NODE_ENV=production');
    }
    return SecretKeyRing.parse(readOrCreateDevelopmentKeys(join(config.dataDir, 'keys')));
  }

  get active(): SecretKey {
    return this.keys[0]!;
  }

  /** Derives a purpose-specific subkey, so one key never serves two algorithms. */
  deriveKey(key: SecretKey, purpose: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', key.key, Buffer.alloc(0), `codexflow:${purpose}`, KEY_BYTES),
    );
  }
}

function readOrCreateDevelopmentKeys(folder: string): string {
  const file = join(folder, 'encryption-keys');
  if (!existsSync(file)) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, `dev1:${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600 });
    try {
      // link() fails when another process created the file first; its key then wins.
      linkSync(partial, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    } finally {
      rmSync(partial, { force: true });
    }
  }
  return readFileSync(file, 'utf8').trim();
}
