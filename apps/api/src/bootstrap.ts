import { ConsoleLogger, type ModuleMetadata, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

import { type AppConfig, configureHttpPipeline, hardenHttpServer } from '@codexflow/core';

import { AppModule } from './app.module.js';
import { setupOpenApi } from './openapi.js';

/** Parts of the pipeline that a benchmark may leave out to measure what each costs. */
export type OptionalPart = 'helmet' | 'rateLimits' | 'auditInterceptor';

export interface CreateAppOptions {
  /** Modules added beside the domain modules; the e2e tests use it for probe routes. */
  imports?: ModuleMetadata['imports'];
  /**
   * Parts to leave out, for the benchmark's comparisons only. No environment
   * variable reaches it, so a deployment cannot turn a safeguard off.
   */
  omit?: readonly OptionalPart[];
}

/** Builds the fully configured application; main.ts and the e2e tests both use it. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(config, options.imports, options.omit),
    {
      // Until pino takes over, start-up messages and start-up failures are JSON lines too.
      logger: new ConsoleLogger({
        json: true,
        colors: false,
        logLevels: ['fatal', 'error', 'warn'],
      }),
      bufferLogs: true,
      bodyParser: false,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(Logger));
  hardenHttpServer(app.getHttpServer());

  configureHttpPipeline(app, config, { helmet: !options.omit?.includes('helmet') });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  setupOpenApi(app, config);

  try {
    await app.init();
  } catch (error) {
    // Release what the partial start acquired, such as the embedded database and listeners.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
