import { createHash } from 'node:crypto';

import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import {
  InjectThrottlerStorage,
  normalizeIp,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request } from 'express';

import type { AppConfig, RateLimitRule } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AUTH_RATE_LIMITED, THROTTLERS } from './rate-limit.decorators.js';
import { tooManyRequests } from './rate-limit.guard.js';
import { SharedThrottlerStorage } from './shared-throttler-storage.js';
import type { SharedState } from '../shared-state/shared-state.js';

/** IPv6 clients are counted per /64, the block one subscriber usually holds. */
const IPV6_SUBNET_PREFIX = 64;

/** Counter keys are digests, so no address, e-mail or user id is stored in the shared state. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function isCredentialRoute(context: ExecutionContext): boolean {
  return (
    Reflect.getMetadata(AUTH_RATE_LIMITED, context.getHandler()) === true ||
    Reflect.getMetadata(AUTH_RATE_LIMITED, context.getClass()) === true
  );
}

/** The throttler hands trackers the framework's request, an Express request on this platform. */
type IncomingRequest = Record<string, unknown>;

function clientAddress(incoming: IncomingRequest): Promise<string> {
  const request = incoming as unknown as Request;
  return Promise.resolve(normalizeIp(request.ip ?? '', IPV6_SUBNET_PREFIX));
}

/** Returns the account a credential request names by e-mail, or '' when it names none. */
function accountInBody(incoming: IncomingRequest): Promise<string> {
  const request = incoming as unknown as Request;
  const email: unknown = (request.body as { email?: unknown } | undefined)?.email;
  return Promise.resolve(typeof email === 'string' ? email.trim().toLowerCase() : '');
}

function signedInUser(incoming: IncomingRequest): Promise<string> {
  // The authentication guard has put the principal on the request by now.
  const { user } = incoming as { user?: { userId?: unknown } };
  const userId = user?.userId;
  return Promise.resolve(typeof userId === 'string' ? userId : '');
}

/** Keys the count per caller across every route. */
function keyPerCaller(_context: ExecutionContext, tracker: string, name: string): string {
  return digest(`${name}:${tracker}`);
}

/** Keys the count per caller and route, so a sign-in does not use up the refresh allowance. */
function keyPerRoute(context: ExecutionContext, tracker: string, name: string): string {
  return digest(`${name}:${context.getClass().name}.${context.getHandler().name}:${tracker}`);
}

const windowMs = (rule: RateLimitRule) => rule.windowSeconds * 1000;

/** Builds the named throttlers and their storage from the configuration. */
export function throttlerOptions(config: AppConfig, state: SharedState): ThrottlerModuleOptions {
  const { ip, user, auth } = config.rateLimits;
  return {
    throttlers: [
      {
        name: THROTTLERS.ip,
        limit: ip.limit,
        ttl: windowMs(ip),
        getTracker: clientAddress,
        generateKey: keyPerCaller,
      },
      {
        name: THROTTLERS.user,
        limit: user.limit,
        ttl: windowMs(user),
        getTracker: signedInUser,
        generateKey: keyPerCaller,
      },
      {
        name: THROTTLERS.authIp,
        limit: auth.limit,
        ttl: windowMs(auth),
        skipIf: (context) => !isCredentialRoute(context),
        getTracker: clientAddress,
        generateKey: keyPerRoute,
      },
      {
        name: THROTTLERS.authAccount,
        limit: auth.limit,
        ttl: windowMs(auth),
        skipIf: (context) => !isCredentialRoute(context),
        getTracker: accountInBody,
        generateKey: keyPerRoute,
      },
    ],
    storage: new SharedThrottlerStorage(state),
  };
}

/**
 * The per-account limit of credential routes whose account is known only
 * once the service has looked up a token (MFA verification, refresh).
 */
@Injectable()
export class RateLimits {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts one request of `userId` on `route`; throws 429 past RATE_LIMIT_AUTH_MAX. */
  async consumeAccount(route: string, userId: string): Promise<void> {
    const rule = this.config.rateLimits.auth;
    const name = THROTTLERS.authAccount;
    const key = digest(`${name}:${route}:${userId}`);
    const record = await this.storage.increment(
      key,
      windowMs(rule),
      rule.limit,
      windowMs(rule),
      name,
    );
    if (record.isBlocked) {
      throw tooManyRequests(name, rule.limit, rule.windowSeconds, record.timeToBlockExpire);
    }
  }
}
