import { Inject, Injectable } from '@nestjs/common';

import { APP_CONFIG, type AppConfig, failClosed, SharedState } from '@codexflow/core';

/** The first lock lasts this long; each further lock in a row lasts twice as long, up to the maximum. */
const FIRST_LOCK_SECONDS = 60;
/** How long a lock counts towards the next one's length; a quiet day starts again at the first. */
const LOCK_LEVEL_MEMORY_MS = 24 * 60 * 60 * 1000;

export interface Lock {
  until: Date;
  seconds: number;
}

/**
 * Failed sign-ins and locks per account, in the shared state, so the count
 * is the same whichever replica takes each attempt. When the shared state
 * cannot be reached every method throws 503: a sign-in never skips the lock
 * check because Redis is down.
 */
@Injectable()
export class AccountLockout {
  constructor(
    private readonly state: SharedState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Returns the end of the account's current lock, or null when it is not locked. */
  async lockedUntil(userId: string): Promise<Date | null> {
    const until = Number(await failClosed(() => this.state.read(lockKey(userId))));
    return until > Date.now() ? new Date(until) : null;
  }

  /** Counts a wrong password; resolves with the lock it started, or null below the threshold. */
  async recordFailure(userId: string): Promise<Lock | null> {
    const { threshold, windowSeconds, maxLockSeconds } = this.config.lockout;
    return failClosed(async () => {
      const failures = await this.state.hit(failuresKey(userId), windowSeconds * 1000);
      if (failures < threshold) {
        return null;
      }
      const level = Number((await this.state.read(levelKey(userId))) ?? 0) + 1;
      const seconds = Math.min(FIRST_LOCK_SECONDS * 2 ** (level - 1), maxLockSeconds);
      const until = new Date(Date.now() + seconds * 1000);
      await this.state.write(lockKey(userId), String(until.getTime()), seconds * 1000);
      await this.state.write(levelKey(userId), String(level), LOCK_LEVEL_MEMORY_MS);
      await this.state.reset(failuresKey(userId));
      return { until, seconds };
    });
  }

  /** Forgets failures and locks after a successful sign-in or a password reset. */
  clear(userId: string): Promise<void> {
    return failClosed(() =>
      this.state.remove(failuresKey(userId), lockKey(userId), levelKey(userId)),
    );
  }
}

const failuresKey = (userId: string) => `lockout:failures:${userId}`;
const lockKey = (userId: string) => `lockout:until:${userId}`;
const levelKey = (userId: string) => `lockout:level:${userId}`;
