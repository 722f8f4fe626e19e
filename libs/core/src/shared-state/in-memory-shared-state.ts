import type { OnModuleDestroy } from '@nestjs/common';

import { ExpiringMembers } from './expiring-members.js';
import type { ExpiringSet, MemberListener } from './shared-state.js';
import { SharedState } from './shared-state.js';
import { InMemoryWindowCounter, type WindowCount } from './window-counter.js';

/** Expired entries are swept after this many writes, so entries never read again do not pile up. */
const SWEEP_EVERY_ADDS = 1_000;

function sweepExpired<T>(entries: Map<string, T>, expiryOf: (entry: T) => number): void {
  const now = Date.now();
  for (const [key, entry] of entries) {
    if (expiryOf(entry) <= now) {
      entries.delete(key);
    }
  }
}

/** A set held in this process only. No other replica changes it, so listeners are never called. */
class LocalExpiringSet implements ExpiringSet {
  readonly synced = true;
  private readonly members = new ExpiringMembers();
  private addsSinceSweep = 0;

  has(member: string): boolean {
    return this.members.has(member);
  }

  add(member: string, expiresAtMs: number): Promise<void> {
    this.addsSinceSweep += 1;
    if (this.addsSinceSweep >= SWEEP_EVERY_ADDS) {
      this.addsSinceSweep = 0;
      this.members.prune();
    }
    this.members.extend(member, expiresAtMs);
    return Promise.resolve();
  }

  delete(member: string): Promise<void> {
    this.members.delete(member);
    return Promise.resolve();
  }

  onChange(_listener: MemberListener): void {
    // Nothing changes this set from outside the process.
  }
}

/**
 * Window keys of existing accounts: lockouts, step-up failures and the per-user quota. They get
 * a counter of their own, so a flood of new client addresses or e-mail addresses, which fills
 * the other counter up to its bound, cannot push an account's failures out.
 */
const ACCOUNT_KEY = /^(?:lockout:|step-up:|rate:user:)/;
/** Accounts are far fewer than client addresses, but the bound still keeps memory finite. */
const MAX_ACCOUNT_KEYS = 1_000_000;

/** Shared state for a single replica: everything lives in this process and is lost on restart. */
export class InMemorySharedState extends SharedState implements OnModuleDestroy {
  readonly shared = false;
  // NOTE: past 100,000 keys the least recently counted client address or e-mail address is
  // forgotten, so a flood can reset per-address and per-e-mail counts on a replica without
  // Redis. The account lockout is kept apart and does not reset that way.
  private readonly windows = new InMemoryWindowCounter();
  private readonly accountWindows = new InMemoryWindowCounter({ maxKeys: MAX_ACCOUNT_KEYS });
  private readonly values = new Map<string, { value: string; expiresAtMs: number }>();
  private readonly sets = new Map<string, LocalExpiringSet>();
  private writesSinceSweep = 0;

  take(key: string, windowMs: number, limit: number): Promise<WindowCount> {
    return this.counterFor(key).take(key, windowMs, limit);
  }

  async reset(key: string): Promise<void> {
    await this.counterFor(key).reset(key);
  }

  read(key: string): Promise<string | null> {
    const entry = this.values.get(key);
    if (entry !== undefined && entry.expiresAtMs <= Date.now()) {
      this.values.delete(key);
      return Promise.resolve(null);
    }
    return Promise.resolve(entry?.value ?? null);
  }

  write(key: string, value: string, ttlMs: number): Promise<void> {
    this.writesSinceSweep += 1;
    if (this.writesSinceSweep >= SWEEP_EVERY_ADDS) {
      this.writesSinceSweep = 0;
      sweepExpired(this.values, (entry) => entry.expiresAtMs);
    }
    this.values.set(key, { value, expiresAtMs: Date.now() + ttlMs });
    return Promise.resolve();
  }

  async remove(...keys: string[]): Promise<void> {
    for (const key of keys) {
      this.values.delete(key);
      await this.counterFor(key).reset(key);
    }
  }

  expiringSet(name: string): ExpiringSet {
    let set = this.sets.get(name);
    if (set === undefined) {
      set = new LocalExpiringSet();
      this.sets.set(name, set);
    }
    return set;
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  onModuleDestroy(): void {
    this.windows.onModuleDestroy();
    this.accountWindows.onModuleDestroy();
  }

  private counterFor(key: string): InMemoryWindowCounter {
    return ACCOUNT_KEY.test(key) ? this.accountWindows : this.windows;
  }
}
