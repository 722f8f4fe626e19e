import { HttpStatus } from '@nestjs/common';

import { ProblemException } from '../http/problem-details.js';
import { WindowCounter } from './window-counter.js';

/** Called with a member added (and when it expires) or removed (`expiresAtMs` null). */
export type MemberListener = (member: string, expiresAtMs: number | null) => void;

/**
 * A set of members that each expire at their own time, such as revoked
 * tokens or blocked addresses. Reads use this process's copy,
 * so a lookup costs no round trip; changes made by any replica reach every
 * copy as soon as the store delivers them.
 */
export interface ExpiringSet {
  /** False while this copy may be missing changes made elsewhere: the store is unreachable. */
  readonly synced: boolean;
  has(member: string): boolean;
  add(member: string, expiresAtMs: number): Promise<void>;
  delete(member: string): Promise<void>;
  /** Reports changes made by other replicas and those found when this copy reloads. */
  onChange(listener: MemberListener): void;
}

/**
 * State that every replica must see alike: rate-limit windows, lockouts,
 * detector windows, revocations and blocked addresses. In memory for a single
 * replica; in Redis when REDIS_URL is set.
 */
export abstract class SharedState extends WindowCounter {
  /** True when the state lives in a store shared with other replicas. */
  abstract readonly shared: boolean;

  /** Resolves with the value of `key`, or null when it is absent or expired. */
  abstract read(key: string): Promise<string | null>;

  /** Stores `value` under `key` for `ttlMs` milliseconds. */
  abstract write(key: string, value: string, ttlMs: number): Promise<void>;

  /** Removes keys written with `write` or counted with `take`. */
  abstract remove(...keys: string[]): Promise<void>;

  /** The set called `name`; every call with one name returns the same set. */
  abstract expiringSet(name: string): ExpiringSet;

  /** Resolves when the store replies to a ping and rejects when it does not. */
  abstract ping(): Promise<void>;
}

/** Builds the 503 returned when a rule that must fail closed cannot reach the shared store. */
export function sharedStateUnavailable(): ProblemException {
  return new ProblemException(
    HttpStatus.SERVICE_UNAVAILABLE,
    'The service cannot check this request right now; try again shortly',
    'about:blank',
    undefined,
    { 'Retry-After': '5' },
  );
}

/** Runs `work` against the shared state; any failure to reach it becomes the 503 above. */
export async function failClosed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch {
    throw sharedStateUnavailable();
  }
}
