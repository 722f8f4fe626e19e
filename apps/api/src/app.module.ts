import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { AccessModule, PermissionGuard } from '@codexflow/access';
import { AuditModule, HttpAuditModule } from '@codexflow/audit';
import { AuthModule, CsrfGuard, JwtAuthGuard, MfaEnforcementGuard } from '@codexflow/auth';
import { type AppConfig, CoreModule, RateLimitGuard, UserQuotaGuard } from '@codexflow/core';
import { GdprModule } from '@codexflow/gdpr';
import { MailModule } from '@codexflow/mail';
import { MonitoringModule } from '@codexflow/monitoring';
import { ProjectsModule } from '@codexflow/projects';
import { TasksModule } from '@codexflow/tasks';
import { UsersModule } from '@codexflow/users';

import type { OptionalPart } from './bootstrap.js';

/**
 * The HTTP service. Each domain module is one import here. The global guards
 * run in the order listed: the limits per address and on credential routes,
 * authentication, the per-user quota, CSRF, admin MFA, then permissions.
 * (The IP block list turns blocked addresses away earlier, before routing.)
 */
@Module({})
export class AppModule {
  static register(
    config: AppConfig,
    extraImports: ModuleMetadata['imports'] = [],
    omit: readonly OptionalPart[] = [],
  ): DynamicModule {
    const rateLimited = !omit.includes('rateLimits');
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, { rateLimited }),
        MailModule.forRoot(config),
        AccessModule,
        // Without the interceptor the trail itself stays: services and the error filter record.
        omit.includes('auditInterceptor') ? AuditModule : HttpAuditModule,
        AuthModule,
        UsersModule,
        ProjectsModule,
        TasksModule,
        GdprModule,
        MonitoringModule,
        ...extraImports,
      ],
      providers: [
        ...(rateLimited ? [{ provide: APP_GUARD, useExisting: RateLimitGuard }] : []),
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        ...(rateLimited ? [{ provide: APP_GUARD, useExisting: UserQuotaGuard }] : []),
        { provide: APP_GUARD, useExisting: CsrfGuard },
        { provide: APP_GUARD, useExisting: MfaEnforcementGuard },
        { provide: APP_GUARD, useExisting: PermissionGuard },
      ],
    };
  }
}
