import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { AccessModule, PermissionGuard } from '@codexflow/access';
import { HttpAuditModule } from '@codexflow/audit';
import { AuthModule, CsrfGuard, JwtAuthGuard, MfaEnforcementGuard } from '@codexflow/auth';
import { type AppConfig, CoreModule } from '@codexflow/core';
import { GdprModule } from '@codexflow/gdpr';
import { MailModule } from '@codexflow/mail';
import { MonitoringModule } from '@codexflow/monitoring';
import { ProjectsModule } from '@codexflow/projects';
import { TasksModule } from '@codexflow/tasks';
import { UsersModule } from '@codexflow/users';

/**
 * The HTTP service. Each domain module is one import here. The global guards
 * run in the order listed: authentication, CSRF, admin MFA, then permissions.
 */
@Module({})
export class AppModule {
  static register(config: AppConfig, extraImports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        MailModule.forRoot(config),
        AccessModule,
        HttpAuditModule,
        AuthModule,
        UsersModule,
        ProjectsModule,
        TasksModule,
        GdprModule,
        MonitoringModule,
        ...extraImports,
      ],
      providers: [
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        { provide: APP_GUARD, useExisting: CsrfGuard },
        { provide: APP_GUARD, useExisting: MfaEnforcementGuard },
        { provide: APP_GUARD, useExisting: PermissionGuard },
      ],
    };
  }
}
