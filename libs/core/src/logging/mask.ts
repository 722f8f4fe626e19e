/**
 * The one masking list for log output. Every log line passes through
 * maskLogValue, at any depth, so secrets and personal data never reach a log
 * sink whatever object a caller logs.
 */

const REDACTED = '[REDACTED]';
const MAX_DEPTH = 10;
const PREFIX_LENGTH = 4;

/** Keys whose values are removed entirely. */
const REMOVED_KEYS = [
  'password',
  'passwd',
  'newpassword',
  'currentpassword',
  'passcode',
  'otp',
  'mfacode',
  'code',
  'recoverycode',
  'recoverycodes',
  'pwd',
  'pass',
  'totp',
  'phone',
  'phonenumber',
  'privatekey',
  'privatekeys',
  'encryptionkeys',
  'secret',
  'clientsecret',
  'totpsecret',
];

/** Key fragments whose values are cut to a short prefix, enough to correlate. */
const CUT_KEY_FRAGMENTS = [
  'token',
  'authorization',
  'cookie',
  'apikey',
  'secret',
  'credential',
  'session',
  'csrf',
  'signature',
  'jwt',
  'bearer',
];

const EMAIL = /([\p{L}\p{N}._%+-]{1,64})@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*)/gu;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]+):([^@\s]+)@/gi;
/** `name=value` pairs in URLs, cookies and free text whose names carry secrets. */
const SECRET_PARAMETER =
  /((?:^|[?&;\s,])(?:[a-z_]*token|[a-z_]*code|pass(?:word)?|pwd|secret|api[_-]?key|signature|csrf|cf_[a-z]+|jsessionid|session(?:_?id)?)=)[^&#;\s,]*/gi;

/** Normalised keys by key; log objects reuse a few hundred keys, so the cache stays small. */
const normalisedKeys = new Map<string, string>();
const MAX_CACHED_KEYS = 10_000;

function normaliseKey(key: string): string {
  let normalised = normalisedKeys.get(key);
  if (normalised === undefined) {
    normalised = key.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (normalisedKeys.size < MAX_CACHED_KEYS) {
      normalisedKeys.set(key, normalised);
    }
  }
  return normalised;
}

function isRemovedKey(normalised: string): boolean {
  return REMOVED_KEYS.includes(normalised) || normalised.includes('password');
}

function isCutKey(normalised: string): boolean {
  return CUT_KEY_FRAGMENTS.some((fragment) => normalised.includes(fragment));
}

/** Keeps the first three characters of the local part and the whole domain. */
export function maskEmail(email: string): string {
  return email.replace(EMAIL, (_match, local: string, domain: string) => {
    return `${local.slice(0, 3)}***@${domain}`;
  });
}

/** Cuts a secret to a short prefix followed by a marker. */
export function cutSecret(value: string): string {
  if (value.length <= PREFIX_LENGTH * 3) {
    return REDACTED;
  }
  return `${value.slice(0, PREFIX_LENGTH)}…${REDACTED}`;
}

/** Masks secrets and e-mail addresses found inside free text. */
export function maskText(text: string): string {
  // Each pattern needs a character that most log text lacks; testing for it first keeps the
  // masking of every log line cheap without changing what is masked.
  let masked = text;
  if (masked.includes('://')) {
    masked = masked.replace(
      URL_CREDENTIALS,
      (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
    );
  }
  if (/\s/.test(masked)) {
    masked = masked.replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`);
  }
  if (masked.includes('eyJ')) {
    masked = masked.replace(JWT, (token) => cutSecret(token));
  }
  if (masked.includes('=')) {
    masked = masked.replace(SECRET_PARAMETER, (_match, name: string) => `${name}${REDACTED}`);
  }
  return masked.includes('@') ? maskEmail(masked) : masked;
}

function maskByKey(key: string, value: unknown, depth: number, seen: WeakSet<object>): unknown {
  const normalised = normaliseKey(key);

  if (isRemovedKey(normalised)) {
    return value === undefined || value === null ? value : REDACTED;
  }
  if (isCutKey(normalised)) {
    if (typeof value === 'string') {
      return cutSecret(value);
    }
    if (Array.isArray(value)) {
      return value.map((item) => (typeof item === 'string' ? cutSecret(item) : REDACTED));
    }
    if (value !== null && typeof value === 'object') {
      return maskValue(value, depth, seen, true);
    }
    return value === undefined || value === null ? value : REDACTED;
  }
  return maskValue(value, depth, seen, false);
}

function describeError(error: Error): Record<string, unknown> {
  const described: Record<string, unknown> = {
    type: error.name,
    message: error.message,
    stack: error.stack,
  };
  for (const [key, value] of Object.entries(error)) {
    described[key] = value;
  }
  if (error.cause !== undefined) {
    described.cause = error.cause;
  }
  return described;
}

function maskValue(value: unknown, depth: number, seen: WeakSet<object>, cutAll: boolean): unknown {
  if (typeof value === 'string') {
    return cutAll ? cutSecret(value) : maskText(value);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (value instanceof Date) {
    // An invalid date would make toISOString throw and hide the error being logged.
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  }
  if (Buffer.isBuffer(value)) {
    return `[${value.length} bytes]`;
  }
  if (!(value instanceof Error) && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return maskValue((value as { toJSON: () => unknown }).toJSON(), depth + 1, seen, cutAll);
  }
  if (seen.has(value)) {
    return '[Circular]';
  }
  if (depth >= MAX_DEPTH) {
    return '[Truncated]';
  }
  seen.add(value);

  if (Array.isArray(value)) {
    return value.map((item) => maskValue(item, depth + 1, seen, cutAll));
  }

  const source = value instanceof Error ? describeError(value) : toPlainObject(value);
  const masked: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(source)) {
    masked[key] = cutAll
      ? maskValue(entry, depth + 1, seen, true)
      : maskByKey(key, entry, depth + 1, seen);
  }
  return masked;
}

function toPlainObject(value: object): Record<string, unknown> {
  if (value instanceof Map) {
    return Object.fromEntries(value) as Record<string, unknown>;
  }
  return { ...(value as Record<string, unknown>) };
}

/**
 * Returns a copy of `value` in which secrets are removed or cut to a short
 * prefix and e-mail addresses keep only their first three characters and
 * domain. Handles nested objects, arrays, errors and cycles.
 */
export function maskLogValue<T>(value: T): T {
  return maskValue(value, 0, new WeakSet(), false) as T;
}
