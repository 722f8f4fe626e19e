import type { ModuleMetadata } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';

import { createApp } from '@codexflow/api';
import { type AppConfig, loadConfig } from '@codexflow/core';

import { createTempDir } from './temp-dir.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  http: TestAgent;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables on top of the test defaults. */
  env?: Record<string, string>;
  /** Extra modules, for suites that exercise the pipeline through a probe controller. */
  imports?: ModuleMetadata['imports'];
}

/**
 * Starts the real application as main.ts does, on its own embedded database
 * in a fresh DATA_DIR, so no two tests share data. `close` stops the app and
 * its database and removes the folder.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = createTempDir();
  let config: AppConfig;
  let app: NestExpressApplication;
  try {
    config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir.path,
      // A free port, so apps of several suites, or a running service, never compete for 9464.
      METRICS_PORT: '0',
      // Suites sign in and call many routes from one loopback address within seconds. The
      // rate-limit suites set the limits they test, so every other suite stays clear of them.
      RATE_LIMIT_IP_MAX: '100000000',
      RATE_LIMIT_USER_MAX: '100000000',
      RATE_LIMIT_AUTH_MAX: '100000000',
      ...options.env,
    });
    app = await createApp(config, { imports: options.imports });
  } catch (error) {
    dataDir.remove();
    throw error;
  }

  return {
    app,
    config,
    http: request(app.getHttpServer()),
    close: async () => {
      await app.close();
      dataDir.remove();
    },
  };
}
