import type { OnModuleDestroy } from '@nestjs/common';

/** Result of one attempt to add a hit. */
export interface WindowCount {
  /** False when the window already held `limit` hits, so this one was not added. */
  allowed: boolean;
  /** Hits within the window after this attempt. */
  count: number;
  /** Milliseconds until the oldest counted hit leaves the window and the count drops. */
  resetMs: number;
}

/**
 * Counts hits per key within a sliding time window. The methods are async so
 * that a store shared by every replica, such as Redis, can implement them.
 */
export abstract class WindowCounter {
  /** Adds one hit to `key` unless the last `windowMs` already hold `limit` of them. */
  abstract take(key: string, windowMs: number, limit: number): Promise<WindowCount>;

  /** Forgets every hit of `key`. */
  abstract reset(key: string): Promise<void>;

  /** Adds one hit to `key` and resolves with the hits within the last `windowMs`, this one included. */
  async hit(key: string, windowMs: number): Promise<number> {
    return (await this.take(key, windowMs, Number.POSITIVE_INFINITY)).count;
  }
}

/** Each window is cut into this many buckets, the precision with which hits expire. */
const BUCKETS_PER_WINDOW = 60;
/** Keys kept at most; past it the least recently hit key is dropped, so a flood of keys cannot exhaust memory. */
const DEFAULT_MAX_KEYS = 100_000;
const SWEEP_INTERVAL_MS = 60_000;

interface Bucket {
  index: number;
  hits: number;
}

interface Series {
  windowMs: number;
  bucketMs: number;
  /** Oldest first. */
  buckets: Bucket[];
}

export interface InMemoryWindowCounterOptions {
  maxKeys?: number;
  /** Milliseconds since the epoch; tests pass a clock they move by hand. */
  now?: () => number;
  /** Drops expired keys every minute; tests turn it off to keep no timer. */
  sweep?: boolean;
}

/**
 * A WindowCounter in this process's memory, for a single replica. Hits are
 * kept in 60 buckets per window. A bucket is dropped as soon as any part of
 * it falls out of the window, so a hit counts for between 59/60 of the window
 * and the whole window, never longer.
 */
export class InMemoryWindowCounter extends WindowCounter implements OnModuleDestroy {
  /** Insertion order is hit order: every hit moves its key to the end. */
  private readonly series = new Map<string, Series>();
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly sweepTimer?: NodeJS.Timeout;

  constructor(options: InMemoryWindowCounterOptions = {}) {
    super();
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.now = options.now ?? Date.now;
    if (options.sweep ?? true) {
      this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
      this.sweepTimer.unref();
    }
  }

  take(key: string, windowMs: number, limit: number): Promise<WindowCount> {
    const now = this.now();
    let series = this.series.get(key);
    if (series === undefined || series.windowMs !== windowMs) {
      series = { windowMs, bucketMs: bucketLength(windowMs), buckets: [] };
    }
    this.series.delete(key);
    this.series.set(key, series);
    dropExpired(series, now);

    let count = series.buckets.reduce((total, bucket) => total + bucket.hits, 0);
    const allowed = count < limit;
    if (allowed) {
      const index = Math.floor(now / series.bucketMs);
      const newest = series.buckets.at(-1);
      // A clock that stepped back adds to the newest bucket rather than reorder them.
      if (newest !== undefined && newest.index >= index) {
        newest.hits += 1;
      } else {
        series.buckets.push({ index, hits: 1 });
      }
      count += 1;
    }
    this.dropOverflow();

    const oldest = series.buckets[0];
    const resetMs = oldest === undefined ? 0 : oldest.index * series.bucketMs + windowMs - now;
    return Promise.resolve({ allowed, count, resetMs: Math.max(0, resetMs) });
  }

  reset(key: string): Promise<void> {
    this.series.delete(key);
    return Promise.resolve();
  }

  /** Number of keys held, for tests of the memory bound. */
  get size(): number {
    return this.series.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /** Drops keys whose every hit has left its window. */
  sweep(): void {
    const now = this.now();
    for (const [key, series] of this.series) {
      dropExpired(series, now);
      if (series.buckets.length === 0) {
        this.series.delete(key);
      }
    }
  }

  private dropOverflow(): void {
    for (const key of this.series.keys()) {
      if (this.series.size <= this.maxKeys) {
        return;
      }
      this.series.delete(key);
    }
  }
}

/** Length of one bucket; Redis uses the same cut so both stores count alike. */
export function bucketLength(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / BUCKETS_PER_WINDOW));
}

/** Removes the buckets that start at or before `now - windowMs`. */
function dropExpired(series: Series, now: number): void {
  const oldestKept = Math.floor((now - series.windowMs) / series.bucketMs) + 1;
  let expired = 0;
  while (expired < series.buckets.length && series.buckets[expired]!.index < oldestKept) {
    expired += 1;
  }
  if (expired > 0) {
    series.buckets.splice(0, expired);
  }
}
