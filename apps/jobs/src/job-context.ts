import {
  ConsoleLogger,
  type INestApplicationContext,
  Module,
  type DynamicModule,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { AccessModule } from '@codexflow/access';
import { AuditModule } from '@codexflow/audit';
import { AuthModule } from '@codexflow/auth';
import { type AppConfig, CoreModule, loadConfig } from '@codexflow/core';
import { GdprModule } from '@codexflow/gdpr';
import { MailModule } from '@codexflow/mail';
import { ProjectsModule } from '@codexflow/projects';
import { TasksModule } from '@codexflow/tasks';
import { UsersModule } from '@codexflow/users';

/** The domain modules a job may use, without the HTTP layer. */
@Module({})
class JobsModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: JobsModule,
      imports: [
        CoreModule.forRoot(config),
        MailModule.forRoot(config),
        AccessModule,
        AuditModule,
        AuthModule,
        UsersModule,
        ProjectsModule,
        TasksModule,
        GdprModule,
      ],
    };
  }
}

/** Runs `work` inside an application context built from the environment, then closes it. */
export async function withJobContext<T>(
  work: (context: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const config = { ...loadConfig(process.env), logDestination: 'stderr' as const };
  const context = await NestFactory.createApplicationContext(JobsModule.register(config), {
    logger: new ConsoleLogger({ json: true, colors: false, logLevels: ['fatal', 'error', 'warn'] }),
    bufferLogs: true,
    abortOnError: false,
  });
  context.useLogger(context.get(Logger));
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}
