import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';

import {
  APP_CONFIG,
  type AppConfig,
  AuditRecorder,
  failClosed,
  KeyedMutex,
  noteRateLimited,
  ProblemException,
  SharedState,
} from '@codexflow/core';
import type { User } from '@codexflow/users';

import { AccountMailer } from './account-mailer.js';

/** The first lock lasts this long; each further lock in a row lasts twice as long, up to the maximum. */
const FIRST_LOCK_SECONDS = 60;
/** How long a lock counts towards the next one's length; a quiet day starts again at the first. */
const LOCK_LEVEL_MEMORY_MS = 24 * 60 * 60 * 1000;

export interface Lock {
  until: Date;
  seconds: number;
  /** False when the failure found a lock already in force, which another replica started. */
  started: boolean;
}

/** Builds the 429 of a locked account, with the seconds until the lock ends. */
export function accountLocked(until: Date): ProblemException {
  noteRateLimited('login_lockout');
  const retryAfter = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return new ProblemException(
    HttpStatus.TOO_MANY_REQUESTS,
    `Too many failed sign-ins; try again in ${retryAfter} seconds`,
    'about:blank',
    undefined,
    { 'Retry-After': String(retryAfter) },
  );
}

/**
 * Failed sign-ins and locks per account, in the shared state, so the count
 * is the same whichever replica takes each attempt. When the shared state
 * cannot be reached every method throws 503: a sign-in never skips the lock
 * check because Redis is down. Every route that requires the password
 * (sign-in, password change, account erasure) counts wrong ones here, so a
 * stolen access token cannot be used to guess the password at route speed.
 */
@Injectable()
export class AccountLockout {
  private readonly logger = new Logger(AccountLockout.name);
  private readonly checks = new KeyedMutex();

  constructor(
    private readonly state: SharedState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditRecorder,
  ) {}

  /**
   * Runs `task` while no other password check of the account runs in this
   * replica, so a burst of guesses cannot pass the lock check together.
   * Across replicas the shared count is atomic, so at most one check per
   * replica can be in flight when a lock starts.
   */
  runExclusive<T>(userId: string, task: () => Promise<T>): Promise<T> {
    return this.checks.runExclusive(userId, task);
  }

  /**
   * Checks a password typed by the holder of `user`'s account, as password
   * change and account erasure do. Throws 429 while the account is locked and
   * when this wrong password starts a lock. A right password clears the
   * failures, as a sign-in does.
   */
  checkPassword(user: User, matches: () => Promise<boolean>): Promise<boolean> {
    return this.runExclusive(user.publicId, async () => {
      const until = await this.lockedUntil(user.publicId);
      if (until !== null) {
        throw accountLocked(until);
      }
      if (await matches()) {
        await this.clear(user.publicId);
        return true;
      }
      await this.countWrongPassword(user);
      return false;
    });
  }

  /**
   * Counts a wrong password of `user`. When it starts a lock, mails the owner,
   * records the lock in the audit trail and throws its 429.
   */
  async countWrongPassword(user: User): Promise<void> {
    const lock = await this.recordFailure(user.publicId);
    if (lock === null) {
      return;
    }
    if (!lock.started) {
      throw accountLocked(lock.until);
    }
    this.mailer.accountLocked(user.email, Math.ceil(lock.seconds / 60));
    this.logger.warn(
      { event: 'account-locked', userId: user.publicId, lockSeconds: lock.seconds },
      'security event: account locked after repeated wrong passwords',
    );
    await this.audit.record({
      action: 'auth.lockout',
      resource: 'users',
      resourceId: user.publicId,
      userId: user.publicId,
      result: 'success',
      details: { lockSeconds: lock.seconds },
    });
    throw accountLocked(lock.until);
  }

  /** Returns the end of the account's current lock, or null when it is not locked. */
  async lockedUntil(userId: string): Promise<Date | null> {
    const until = Number(await failClosed(() => this.state.read(lockKey(userId))));
    return until > Date.now() ? new Date(until) : null;
  }

  /**
   * Counts a wrong password. Resolves with the lock it started, or with the lock in force when
   * another replica started one, or null below the threshold.
   */
  async recordFailure(userId: string): Promise<Lock | null> {
    const { threshold, windowSeconds, maxLockSeconds } = this.config.lockout;
    return failClosed(async () => {
      const failures = await this.state.hit(failuresKey(userId), windowSeconds * 1000);
      if (failures < threshold) {
        return null;
      }
      const current = Number(await this.state.read(lockKey(userId)));
      if (current > Date.now()) {
        const seconds = Math.ceil((current - Date.now()) / 1000);
        return { until: new Date(current), seconds, started: false };
      }
      const level = Number((await this.state.read(levelKey(userId))) ?? 0) + 1;
      const seconds = Math.min(FIRST_LOCK_SECONDS * 2 ** (level - 1), maxLockSeconds);
      const until = new Date(Date.now() + seconds * 1000);
      await this.state.write(lockKey(userId), String(until.getTime()), seconds * 1000);
      await this.state.write(levelKey(userId), String(level), LOCK_LEVEL_MEMORY_MS);
      await this.state.reset(failuresKey(userId));
      return { until, seconds, started: true };
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
