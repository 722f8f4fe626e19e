import type { AppConfig, WindowCounter } from '@codexflow/core';

import type { DetectorName } from '../metrics/metrics.js';

/** A detector's limit: more than `threshold` hits within `windowSeconds` raise an alert. */
export type AlertRule = AppConfig['alerts']['serverErrors'];

/** The hit that took a key's count within the window above the threshold. */
export interface Crossing {
  detector: DetectorName;
  key: string;
  count: number;
  threshold: number;
  windowSeconds: number;
}

/**
 * Counts hits per key and reports a key once when its count within the
 * window goes above the threshold. Further hits report nothing while the
 * count stays above. Once a hit finds the count back at or below the
 * threshold, the next crossing is reported again.
 */
export class ThresholdDetector {
  /**
   * Keys currently above the threshold, with the time of their latest hit.
   * Insertion order is hit order, so the entries that lapsed are at the front.
   */
  private readonly above = new Map<string, number>();
  private readonly windowMs: number;

  constructor(
    readonly name: DetectorName,
    readonly rule: AlertRule,
    private readonly counter: WindowCounter,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = rule.windowSeconds * 1000;
  }

  async hit(key: string): Promise<Crossing | undefined> {
    const count = await this.counter.hit(this.counterKey(key), this.windowMs);
    const now = this.now();
    this.forgetLapsed(now);

    if (count <= this.rule.threshold) {
      this.above.delete(key);
      return undefined;
    }
    const reported = this.above.has(key);
    this.above.delete(key);
    this.above.set(key, now);
    if (reported) {
      return undefined;
    }
    return {
      detector: this.name,
      key,
      count,
      threshold: this.rule.threshold,
      windowSeconds: this.rule.windowSeconds,
    };
  }

  /** Forgets the hits of `key`, so its count starts again from zero. */
  async reset(key: string): Promise<void> {
    this.above.delete(key);
    await this.counter.reset(this.counterKey(key));
  }

  /**
   * Drops keys whose latest hit has left the window: every hit they had is
   * gone, so their count is back below the threshold without a hit to show it.
   */
  private forgetLapsed(now: number): void {
    for (const [key, latestHitAt] of this.above) {
      if (now - latestHitAt < this.windowMs) {
        return;
      }
      this.above.delete(key);
    }
  }

  private counterKey(key: string): string {
    return `${this.name}:${key}`;
  }
}
