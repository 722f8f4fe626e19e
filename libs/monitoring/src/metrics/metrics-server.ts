import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { APP_CONFIG, type AppConfig, hardenHttpServer } from '@codexflow/core';

import { Metrics } from './metrics.js';

/**
 * The Prometheus listener on METRICS_PORT, apart from the public port so that
 * it can be kept off the public network. It binds to the API's host when the
 * application starts and closes when it shuts down, after the public server.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => {
      this.respond(request, response).catch((error: unknown) => {
        this.logger.error({ err: error }, 'rendering the metrics failed');
        if (!response.headersSent) {
          response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        }
        response.end('rendering the metrics failed\n');
      });
    });
    hardenHttpServer(server);

    const { host } = this.config.http;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `the metrics listener could not listen on ${host}:${this.config.metricsPort}: ${reason}`,
      );
    });
    this.server = server;

    const shownHost = host === '0.0.0.0' ? 'localhost' : host;
    this.logger.log(`metrics listening on http://${shownHost}:${this.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) {
      return;
    }
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Scrapers keep idle connections open, which would hold close() until they time out.
    server.closeIdleConnections();
    await closed;
  }

  /** The bound port: METRICS_PORT, or the port the system chose when it is 0. */
  get port(): number {
    const address = this.server?.address();
    if (address === undefined || address === null || typeof address === 'string') {
      throw new Error('the metrics listener is not listening');
    }
    return address.port;
  }

  private async respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') {
      sendText(response, 404, 'only /metrics is served here\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      sendText(response, 405, 'use GET /metrics\n');
      return;
    }

    const body = await this.metrics.render();
    response.writeHead(200, {
      'Content-Type': this.metrics.contentType,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}
