import {
  type ArgumentsHost,
  type ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';

import { ProblemException } from '../http/problem-details.js';
import { noteRateLimited } from '../http/request-context.js';
import { NOT_RATE_LIMITED, THROTTLERS } from './rate-limit.decorators.js';

/** Subject each throttler counts, named in the 429 detail. */
const SUBJECT: Record<string, string> = {
  [THROTTLERS.ip]: 'this client address',
  [THROTTLERS.user]: 'this account',
  [THROTTLERS.authIp]: 'this client address on this route',
  [THROTTLERS.authAccount]: 'this account on this route',
};

/** Builds the 429 of a throttler and counts it in the metrics under the throttler's name. */
export function tooManyRequests(
  name: string,
  limit: number,
  windowSeconds: number,
  retryAfterSeconds: number,
): ProblemException {
  noteRateLimited(name);
  return new ProblemException(
    HttpStatus.TOO_MANY_REQUESTS,
    `Too many requests: ${SUBJECT[name] ?? 'this caller'} may send ${limit} in ${windowSeconds} seconds; retry after ${retryAfterSeconds} seconds`,
    'about:blank',
    undefined,
    {
      'Retry-After': String(retryAfterSeconds),
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': String(retryAfterSeconds),
      'RateLimit-Policy': `${limit};w=${windowSeconds}`,
    },
  );
}

/** The tightest limit seen so far on one response; its figures go into the RateLimit headers. */
interface Standing {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

const STANDING = Symbol('rate-limit-standing');

type ResponseWithStanding = Response & { [STANDING]?: Standing };

/**
 * Sets the RateLimit headers (IETF draft) of the tightest limit that applies
 * to the response: the one with the fewest requests left.
 */
function publishStanding(
  response: ResponseWithStanding,
  standing: Standing,
  windowSeconds: number,
) {
  const current = response[STANDING];
  if (current !== undefined && current.remaining <= standing.remaining) {
    return;
  }
  response[STANDING] = standing;
  response.setHeader('RateLimit-Limit', String(standing.limit));
  response.setHeader('RateLimit-Remaining', String(standing.remaining));
  response.setHeader('RateLimit-Reset', String(standing.resetSeconds));
  response.setHeader('RateLimit-Policy', `${standing.limit};w=${windowSeconds}`);
}

/**
 * Applies the named throttlers of one stage of the pipeline. The limits per
 * address and on credential routes run before authentication, so floods are
 * rejected before any token or password work. The per-user quota needs the
 * principal, so it runs right after authentication.
 */
abstract class StagedThrottlerGuard extends ThrottlerGuard {
  protected abstract readonly stage: ReadonlySet<string>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    @Inject(Reflector) reflector: Reflector,
  ) {
    super(options, storage, reflector);
  }

  /**
   * Keeps only this stage's throttlers. The base guard reads six pieces of route
   * metadata for every throttler on every request, so the others would cost that much for nothing.
   */
  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.throttlers = this.throttlers.filter((throttler) => this.stage.has(throttler.name ?? ''));
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const exempt = this.reflector.getAllAndOverride<boolean>(NOT_RATE_LIMITED, [
      context.getHandler(),
      context.getClass(),
    ]);
    return Promise.resolve(exempt === true);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, getTracker, generateKey } = request;
    const name = throttler.name ?? '';
    const { req, res } = this.getRequestResponse(context) as {
      req: Request;
      res: ResponseWithStanding;
    };
    const tracker = await getTracker(req, context);
    if (tracker === '') {
      return true;
    }
    const key = generateKey(context, tracker, name);
    const record = await this.storageService.increment(key, ttl, limit, ttl, name);
    const windowSeconds = Math.ceil(ttl / 1000);
    publishStanding(
      res,
      {
        limit,
        remaining: Math.max(0, limit - record.totalHits),
        resetSeconds: record.timeToExpire,
      },
      windowSeconds,
    );
    if (record.isBlocked) {
      throw tooManyRequests(name, limit, windowSeconds, record.timeToBlockExpire);
    }
    return true;
  }
}

/** Path prefix of the health probes, whose requests are never counted. */
const PROBE_PATH_PREFIX = '/health/';

/** Set on a request once it reached the first rate-limit guard, whether it was counted or exempt. */
const ROUTED = Symbol('rate-limit-routed');

type RequestSeen = Request & { [ROUTED]?: true };

/** The limits per client address and on credential routes; runs before authentication. */
@Injectable()
export class RateLimitGuard extends StagedThrottlerGuard {
  protected readonly stage = new Set<string>([
    THROTTLERS.ip,
    THROTTLERS.authIp,
    THROTTLERS.authAccount,
  ]);

  override canActivate(context: ExecutionContext): Promise<boolean> {
    context.switchToHttp().getRequest<RequestSeen>()[ROUTED] = true;
    return super.canActivate(context);
  }

  /**
   * Counts against the per-address limit a request that failed before
   * routing (a body that does not parse, a rejected content type or length,
   * an unknown path), which no guard saw. Rejects with the 429 to send
   * instead once the address is past its limit. A request this guard has
   * already seen is not counted twice.
   */
  async countUnrouted(host: ArgumentsHost): Promise<void> {
    const request = host.switchToHttp().getRequest<RequestSeen>();
    // The orchestrator's probes stay exempt, as @NotRateLimited() makes them once routed.
    if (request[ROUTED] === true || request.path.startsWith(PROBE_PATH_PREFIX)) {
      return;
    }
    const throttler = this.throttlers.find(({ name }) => name === THROTTLERS.ip);
    const { limit, ttl, getTracker, generateKey } = throttler ?? {};
    if (
      throttler === undefined ||
      typeof limit !== 'number' ||
      typeof ttl !== 'number' ||
      getTracker === undefined ||
      generateKey === undefined
    ) {
      return;
    }
    // No handler or class: the address throttler's tracker and key do not use them.
    const context = new ExecutionContextHost(host.getArgs());
    await this.handleRequest({
      context,
      limit,
      ttl,
      throttler,
      blockDuration: ttl,
      getTracker,
      generateKey,
    });
  }
}

/** The daily quota per signed-in user; runs right after authentication. */
@Injectable()
export class UserQuotaGuard extends StagedThrottlerGuard {
  protected readonly stage = new Set<string>([THROTTLERS.user]);
}
