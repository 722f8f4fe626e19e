/** Retry settings of MailService for failed deliveries. Every field is optional. */
export interface MailRetryOptions {
  /** Delivery attempts per mail, the first one included. Default 5. */
  maxAttempts?: number;
  /** Delay in milliseconds before the second attempt. Each later delay doubles. Default 1000. */
  baseDelayMs?: number;
  /** Upper bound in milliseconds of one delay. Default 30000. */
  maxDelayMs?: number;
}

export type ResolvedMailRetryOptions = Required<MailRetryOptions>;

export const DEFAULT_MAIL_RETRY_OPTIONS: ResolvedMailRetryOptions = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/** Fills in the defaults and throws a RangeError that names any invalid value. */
export function resolveRetryOptions(options: MailRetryOptions = {}): ResolvedMailRetryOptions {
  const resolved = { ...DEFAULT_MAIL_RETRY_OPTIONS, ...definedFields(options) };

  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(
      `maxAttempts must be an integer of at least 1, got ${resolved.maxAttempts}`,
    );
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(resolved[name]) || resolved[name] < 0) {
      throw new RangeError(`${name} must be a number of at least 0, got ${resolved[name]}`);
    }
  }

  return resolved;
}

/** Delay before the next attempt after `failedAttempts` failures: base, doubled each time, capped. */
export function backoffDelayMs(failedAttempts: number, options: ResolvedMailRetryOptions): number {
  const uncapped = options.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1);
  return Math.min(uncapped, options.maxDelayMs);
}

function definedFields(options: MailRetryOptions): MailRetryOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
