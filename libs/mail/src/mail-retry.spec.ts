import { describe, expect, it } from '@jest/globals';

import { backoffDelayMs, DEFAULT_MAIL_RETRY_OPTIONS, resolveRetryOptions } from './mail-retry.js';

describe(backoffDelayMs.name, () => {
  it('doubles from one second and stops at 30 seconds by default', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((failed) =>
      backoffDelayMs(failed, DEFAULT_MAIL_RETRY_OPTIONS),
    );

    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('uses the given base and cap', () => {
    const options = resolveRetryOptions({ baseDelayMs: 5, maxDelayMs: 12 });

    expect([1, 2, 3].map((failed) => backoffDelayMs(failed, options))).toEqual([5, 10, 12]);
  });
});

describe(resolveRetryOptions.name, () => {
  it('defaults to 5 attempts, 1 s base and 30 s cap', () => {
    expect(resolveRetryOptions()).toEqual({
      maxAttempts: 5,
      baseDelayMs: 1_000,
      maxDelayMs: 30_000,
    });
  });

  it('keeps defaults for fields set to undefined', () => {
    expect(resolveRetryOptions({ maxAttempts: undefined, baseDelayMs: 10 })).toEqual({
      maxAttempts: 5,
      baseDelayMs: 10,
      maxDelayMs: 30_000,
    });
  });

  it.each([
    [{ maxAttempts: 0 }, /maxAttempts must be an integer of at least 1, got 0/],
    [{ maxAttempts: 2.5 }, /maxAttempts must be an integer of at least 1, got 2.5/],
    [{ baseDelayMs: -1 }, /baseDelayMs must be a number of at least 0, got -1/],
    [{ maxDelayMs: Number.NaN }, /maxDelayMs must be a number of at least 0, got NaN/],
  ])('rejects %j', (options, message) => {
    expect(() => resolveRetryOptions(options)).toThrow(message);
  });
});
