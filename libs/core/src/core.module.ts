import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';

import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { OnceClaims } from './database/claims.js';
import { DatabaseModule } from './database/database.module.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { AuditFeed } from './audit/audit-feed.js';
import { CoreDataRules } from './personal-data/core-data-rules.js';
import { PersonalDataRegistry } from './personal-data/personal-data-registry.js';
import { HttpTraffic } from './http/http-traffic.js';
import { ShutdownState } from './http/shutdown-state.js';
import { IdempotencyInterceptor, IdempotencyStore } from './http/idempotency.js';
import { MultipartRouteInterceptor } from './http/multipart.js';
import { RouteTagInterceptor } from './http/route-tag.interceptor.js';
import { createValidationPipe } from './http/validation.pipe.js';
import { CursorCodec } from './pagination/cursor-codec.js';
import { FieldCipher } from './security/field-cipher.js';
import { SecretKeyRing } from './security/secret-key-ring.js';
import { LoggingModule } from './logging/logging.module.js';
import { InMemorySharedState } from './shared-state/in-memory-shared-state.js';
import { RedisSharedState } from './shared-state/redis-shared-state.js';
import { SharedState } from './shared-state/shared-state.js';
import { UNROUTED_REQUEST_LIMIT } from './rate-limits/rate-limit.decorators.js';
import { RateLimitGuard, UserQuotaGuard } from './rate-limits/rate-limit.guard.js';
import { RateLimits, throttlerOptions } from './rate-limits/rate-limits.js';

/**
 * Configuration, logging, database, shared state, rate limits, error
 * rendering and validation for every route.
 */
@Global()
@Module({})
export class CoreModule {
  /**
   * Set `rateLimited` to false when the application does not install the
   * rate-limit guards. Requests that fail before routing are then not counted
   * against the per-address limit either.
   */
  static forRoot(config: AppConfig, { rateLimited = true } = {}): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule.forRoot(config),
        ThrottlerModule.forRootAsync({
          inject: [SharedState],
          useFactory: (state: SharedState) => throttlerOptions(config, state),
        }),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: RouteTagInterceptor },
        { provide: APP_INTERCEPTOR, useClass: MultipartRouteInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        IdempotencyStore,
        HttpTraffic,
        AuditFeed,
        PersonalDataRegistry,
        CoreDataRules,
        ShutdownState,
        RateLimitGuard,
        UserQuotaGuard,
        RateLimits,
        {
          provide: UNROUTED_REQUEST_LIMIT,
          inject: [RateLimitGuard],
          useFactory: (guard: RateLimitGuard) => (rateLimited ? guard : null),
        },
        {
          provide: SharedState,
          useFactory: (): SharedState =>
            config.redisUrl === undefined
              ? new InMemorySharedState()
              : new RedisSharedState(config.redisUrl),
        },
        { provide: SecretKeyRing, useFactory: () => SecretKeyRing.load(config) },
        OnceClaims,
        {
          provide: FieldCipher,
          inject: [SecretKeyRing],
          useFactory: (ring: SecretKeyRing) => new FieldCipher(ring),
        },
        {
          provide: CursorCodec,
          inject: [SecretKeyRing],
          useFactory: (ring: SecretKeyRing) => new CursorCodec(ring),
        },
      ],
      exports: [
        ConfigModule,
        LoggingModule,
        DatabaseModule,
        SecretKeyRing,
        CursorCodec,
        FieldCipher,
        OnceClaims,
        IdempotencyStore,
        HttpTraffic,
        AuditFeed,
        PersonalDataRegistry,
        ShutdownState,
        SharedState,
        RateLimitGuard,
        UserQuotaGuard,
        RateLimits,
      ],
    };
  }
}
