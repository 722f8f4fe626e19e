import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

import type { AppConfig } from '@codexflow/core';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface RsaPublicJwk {
  kty: 'RSA';
  kid: string;
  use: 'sig';
  alg: 'RS256';
  n: string;
  e: string;
}

interface RingKey extends SigningKey {
  publicKey: KeyObject;
  publicKeyPem: string;
  n: string;
  e: string;
}

interface PemBlock {
  label: string;
  pem: string;
  kid?: string;
}

const SOURCE_VARIABLE = 'JWT_PRIVATE_KEYS';
const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KID_LINE = /^kid:\s*(.*?)\s*$/;
const BEGIN_LINE = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const PRIVATE_KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY']);
const MIN_MODULUS_BITS = 2048;
const THUMBPRINT_KID_LENGTH = 16;
const GENERATE_HINT = 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048';

/**
 * RS256 signing keys. The first key signs new tokens and every key verifies, so a key
 * rotates by putting the new key first and keeping the old one until its tokens expire.
 */
export class KeyRing {
  readonly signingKey: SigningKey;
  private readonly keys: ReadonlyMap<string, RingKey>;

  private constructor(keys: RingKey[]) {
    const [first] = keys;
    if (first === undefined) {
      throw new Error('a key ring needs at least one key');
    }
    this.signingKey = { kid: first.kid, privateKey: first.privateKey };
    this.keys = new Map(keys.map((key) => [key.kid, key]));
  }

  /**
   * Parses the value of JWT_PRIVATE_KEYS: one or more PEM private keys (PKCS#8 or
   * PKCS#1), newest first. A `kid: <id>` line directly above a BEGIN line names that
   * key. Without one, the kid is the first 16 characters of its RFC 7638 JWK thumbprint.
   */
  static fromPem(text: string): KeyRing {
    return KeyRing.parse(text, SOURCE_VARIABLE);
  }

  /**
   * Loads the ring from JWT_PRIVATE_KEYS. Outside production it falls back to
   * `DATA_DIR/keys/jwt-private-keys.pem`, generated on first use.
   */
  static load(config: AppConfig): KeyRing {
    if (config.jwt.privateKeys !== undefined) {
      return KeyRing.fromPem(config.jwt.privateKeys);
    }
    if (config.isProduction) {
      throw new Error(
        'JWT_PRIVATE_KEYS is required when NODE_ENV=production (PEM private keys, newest first)',
      );
    }

    const path = join(config.dataDir, 'keys', 'jwt-private-keys.pem');
    const text = readOrCreateDevelopmentKeyFile(path);
    try {
      return KeyRing.parse(text, `development key file ${path}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${reason}. Delete the file to generate a new development key.`, {
        cause: error,
      });
    }
  }

  /** Returns the public key for `kid`, or undefined when the ring has no such key. */
  publicKey(kid: string): KeyObject | undefined {
    return this.keys.get(kid)?.publicKey;
  }

  /** Returns the SPKI PEM public key for `kid`, or undefined when the ring has no such key. */
  publicKeyPem(kid: string): string | undefined {
    return this.keys.get(kid)?.publicKeyPem;
  }

  /** Returns the JSON Web Key Set of the public keys, in ring order. */
  jwks(): { keys: RsaPublicJwk[] } {
    return {
      keys: [...this.keys.values()].map((key) => ({
        kty: 'RSA',
        kid: key.kid,
        use: 'sig',
        alg: 'RS256',
        n: key.n,
        e: key.e,
      })),
    };
  }

  private static parse(text: string, source: string): KeyRing {
    const blocks = splitPemBlocks(text, source);
    if (blocks.length === 0) {
      throw new Error(
        `${source} contains no PEM private key; expected one or more "-----BEGIN PRIVATE KEY-----" blocks, newest first`,
      );
    }

    const keys = blocks.map((block, index) => toRingKey(block, `${source}: key ${index + 1}`));
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key.kid)) {
        throw new Error(
          `${source} contains the kid "${key.kid}" more than once; put a unique "kid: <id>" line directly above each BEGIN line, or remove the duplicate key`,
        );
      }
      seen.add(key.kid);
    }

    return new KeyRing(keys);
  }
}

/** Splits the text into PEM blocks with their optional kid lines, rejecting any other text. */
function splitPemBlocks(text: string, source: string): PemBlock[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const blocks: PemBlock[] = [];
  let pendingKid: { kid: string; lineNumber: number } | undefined;

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const lineNumber = index + 1;
    const kidMatch = KID_LINE.exec(line);
    const beginMatch = BEGIN_LINE.exec(line);

    if (pendingKid !== undefined && beginMatch === null) {
      throw misplacedKidError(source, pendingKid.lineNumber);
    }

    if (kidMatch !== null) {
      pendingKid = { kid: parseKid(kidMatch[1] ?? '', source, lineNumber), lineNumber };
    } else if (beginMatch !== null) {
      const label = beginMatch[1] ?? '';
      const end = lines.indexOf(`-----END ${label}-----`, index + 1);
      if (end === -1) {
        throw new Error(
          `${source}: the PEM block that starts on line ${lineNumber} has no "-----END ${label}-----" line; paste the whole key`,
        );
      }
      blocks.push({ label, pem: lines.slice(index, end + 1).join('\n'), kid: pendingKid?.kid });
      pendingKid = undefined;
      index = end;
    } else if (line !== '') {
      const escapedNewlines = line.includes('\\n')
        ? '; it contains a literal "\\n", so write real line breaks or pass the keys as a file with JWT_PRIVATE_KEYS_FILE'
        : '';
      throw new Error(
        `${source}: line ${lineNumber} is neither a "kid: <id>" line nor part of a PEM block${escapedNewlines}`,
      );
    }
  }

  if (pendingKid !== undefined) {
    throw misplacedKidError(source, pendingKid.lineNumber);
  }
  return blocks;
}

function misplacedKidError(source: string, lineNumber: number): Error {
  return new Error(
    `${source}: the "kid:" line ${lineNumber} must be directly above a -----BEGIN line`,
  );
}

function parseKid(value: string, source: string, lineNumber: number): string {
  if (!KID_PATTERN.test(value)) {
    throw new Error(
      `${source}: the kid on line ${lineNumber} is invalid; a kid is 1 to 64 characters of A-Z, a-z, 0-9, ".", "_" or "-"`,
    );
  }
  return value;
}

/** Parses one PEM block into an RSA key of at least 2048 bits. */
function toRingKey(block: PemBlock, name: string): RingKey {
  if (!PRIVATE_KEY_LABELS.has(block.label)) {
    throw new Error(
      `${name} is a "${block.label}" block; expected an unencrypted "PRIVATE KEY" or "RSA PRIVATE KEY" block, for example from "${GENERATE_HINT}"`,
    );
  }

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: block.pem, format: 'pem' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${name} cannot be parsed as a PEM private key (${reason}); check that it was copied whole and is not encrypted`,
      { cause: error },
    );
  }

  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new Error(
      `${name} is a ${privateKey.asymmetricKeyType ?? 'non-asymmetric'} key, but RS256 needs an RSA key; generate one with "${GENERATE_HINT}"`,
    );
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) {
    throw new Error(
      `${name} is an RSA key of ${bits} bits, but RS256 keys need at least ${MIN_MODULUS_BITS}; generate one with "${GENERATE_HINT}"`,
    );
  }

  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new Error(`${name} has no RSA modulus or exponent in its public JWK`);
  }

  return {
    kid: block.kid ?? jwkThumbprintKid(jwk.n, jwk.e),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    n: jwk.n,
    e: jwk.e,
  };
}

/** Returns the first 16 characters of the RFC 7638 thumbprint of an RSA public key. */
function jwkThumbprintKid(n: string, e: string): string {
  // RFC 7638 hashes the required members in lexicographic order with no whitespace.
  const canonical = JSON.stringify({ e, kty: 'RSA', n });
  const thumbprint = createHash('sha256').update(canonical).digest('base64url');
  return thumbprint.slice(0, THUMBPRINT_KID_LENGTH);
}

/**
 * Returns the development key file, creating it with one new RSA 2048 key when missing.
 * The key is written to a private temporary file and then hard-linked into place, and
 * linking fails when the target exists. So when two processes start at once, both end
 * up reading the one file that was linked first, never a partial or overwritten one.
 */
function readOrCreateDevelopmentKeyFile(path: string): string {
  const existing = readIfExists(path);
  if (existing !== undefined) {
    return existing;
  }

  const folder = dirname(path);
  mkdirSync(dirname(folder), { recursive: true });
  mkdirSync(folder, { recursive: true, mode: 0o700 });

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: MIN_MODULUS_BITS });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const temporaryPath = `${path}.${randomBytes(8).toString('hex')}.tmp`;

  try {
    writePrivateFile(temporaryPath, pem);
    // NOTE: filesystems without hard links (some network and FUSE mounts) fail here with
    // EPERM or ENOTSUP. Point DATA_DIR at a local disk, or set JWT_PRIVATE_KEYS.
    linkSync(temporaryPath, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  } finally {
    rmSync(temporaryPath, { force: true });
  }

  return readFileSync(path, 'utf8');
}

function writePrivateFile(path: string, content: string): void {
  const descriptor = openSync(path, 'wx', 0o600);
  try {
    writeSync(descriptor, content);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}
