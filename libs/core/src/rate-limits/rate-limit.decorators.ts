import { SetMetadata } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';

/** The named throttlers; the names appear in metrics and in the 429 detail. */
export const THROTTLERS = {
  ip: 'ip',
  user: 'user',
  authIp: 'auth_ip',
  authAccount: 'auth_account',
} as const;

export const AUTH_RATE_LIMITED = 'codexflow:auth-rate-limited';
export const NOT_RATE_LIMITED = 'codexflow:not-rate-limited';

/**
 * Marks a credential route (login, register, password reset, MFA, refresh):
 * on top of the limits of every route it gets RATE_LIMIT_AUTH_MAX requests
 * per RATE_LIMIT_AUTH_WINDOW_SECONDS per client address and per account.
 * The account is the `email` of the body when the route takes one; routes
 * that find the account later count it through RateLimits.consumeAccount.
 */
export const AuthRateLimited = () => SetMetadata(AUTH_RATE_LIMITED, true);

/** Exempts a route from every rate limit: only the probes the orchestrator sends. */
export const NotRateLimited = () => SetMetadata(NOT_RATE_LIMITED, true);

/**
 * Exempts a route from the daily quota per user, leaving the per-address
 * limit. The quota covers every session of the account, so someone holding
 * a stolen token could use it up. The owner must still be able to sign out
 * and end sessions: logout, session list and deletion, password change.
 */
export const ExemptFromUserQuota = () => SkipThrottle({ [THROTTLERS.user]: true });

/**
 * The guard that counts requests failing before routing against the
 * per-address limit, or null when the service runs without rate limits.
 */
export const UNROUTED_REQUEST_LIMIT = Symbol('unrouted-request-limit');
