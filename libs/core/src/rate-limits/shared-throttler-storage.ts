import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

import { failClosed, SharedState } from '../shared-state/shared-state.js';

/** The record @nestjs/throttler expects from its storage; its package does not export the type. */
interface ThrottlerRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * Throttler counters in the shared state: in memory for one replica, in
 * Redis for several. Each counter is a sliding window; a request turned away
 * is not counted, so a client that waits `Retry-After` seconds gets through.
 * Times are whole seconds, as the throttler reports them.
 */
@Injectable()
export class SharedThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly state: SharedState) {}

  async increment(
    key: string,
    ttlMs: number,
    limit: number,
    _blockDurationMs: number,
    throttlerName: string,
  ): Promise<ThrottlerRecord> {
    // Without the shared counters no replica can tell whether the caller is over its limit.
    const taken = await failClosed(() =>
      this.state.take(`rate:${throttlerName}:${key}`, ttlMs, limit),
    );
    const seconds = Math.max(1, Math.ceil(taken.resetMs / 1000));
    return {
      totalHits: taken.allowed ? taken.count : taken.count + 1,
      timeToExpire: seconds,
      isBlocked: !taken.allowed,
      timeToBlockExpire: taken.allowed ? 0 : seconds,
    };
  }
}
