import 'reflect-metadata';

import type { Server } from 'node:http';

import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

import { type AppConfig, ConfigValidationError, loadConfig, ShutdownState } from '@codexflow/core';

import { createApp } from './bootstrap.js';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * Shuts down on SIGTERM or SIGINT. Readiness turns to 503 at once, and the
 * service keeps serving for SHUTDOWN_DELAY_SECONDS so the load balancer stops
 * routing here. Then it stops accepting connections, lets requests in flight
 * finish, closes the database and exits 0, or exits 1 if closing takes longer
 * than the shutdown timeout. Repeated signals do not cut the shutdown short.
 */
function exitGracefully(app: INestApplication, config: AppConfig, logger: Logger): void {
  let stopping = false;

  const stop = (signal: NodeJS.Signals) => {
    // Supervisors resend the signal; the default action of a repeat would cut requests in flight.
    if (stopping) {
      logger.log(`received ${signal} again; the shutdown is already under way`);
      return;
    }
    stopping = true;
    app.get(ShutdownState).startDraining();
    logger.log(
      `received ${signal}; readiness is 503, closing in ${config.http.shutdownDelayMs} ms`,
    );
    setTimeout(() => close(), config.http.shutdownDelayMs);
  };

  const close = () => {
    logger.log('finishing requests in flight');
    setTimeout(() => {
      logger.error(`shutdown took longer than ${config.http.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.http.shutdownTimeoutMs).unref();

    app.close().then(
      () => {
        logger.log('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      fail(error.message);
    }
    throw error;
  }

  let app: INestApplication;
  try {
    app = await createApp(config);
  } catch (error) {
    fail(`CodexFlow could not start: ${error instanceof Error ? error.message : String(error)}`);
  }

  const logger = app.get(Logger);
  exitGracefully(app, config, logger);
  try {
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    await app.close();
    const reason = error instanceof Error ? error.message : String(error);
    fail(`CodexFlow could not listen on ${config.http.host}:${config.http.port}: ${reason}`);
  }

  const address = (app.getHttpServer() as Server).address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
  const docs = config.docsEnabled ? ' (API documentation at /docs)' : '';
  logger.log(`CodexFlow API listening on http://${host}:${port}${docs}`);
}

await main();
