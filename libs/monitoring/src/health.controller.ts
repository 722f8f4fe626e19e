import { Controller, Get, HttpStatus, Logger, VERSION_NEUTRAL } from '@nestjs/common';
import { HealthCheckService, MongooseHealthIndicator } from '@nestjs/terminus';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

import { Public } from '@codexflow/access';
import { NotRateLimited, ProblemException, SharedState, ShutdownState } from '@codexflow/core';

const DATABASE_PING_TIMEOUT_MS = 1_500;

/** Kubernetes probes. Bodies name checks and states only, never hosts or versions. */
@ApiTags('operations')
@Public()
@NotRateLimited()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
    private readonly shutdown: ShutdownState,
    private readonly sharedState: SharedState,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is running' })
  @ApiOkResponse({ description: 'The process is running' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) responds' })
  @ApiOkResponse({ description: 'Every dependency responds' })
  @ApiServiceUnavailableResponse({ description: 'A dependency does not respond' })
  async ready(): Promise<{ status: 'ok'; checks: Record<string, 'up'> }> {
    const checks: Record<string, 'up'> = {};
    if (this.shutdown.draining) {
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'The service is shutting down and finishing the requests in flight',
      );
    }
    try {
      await this.health.check([
        () => this.mongoose.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
      ]);
    } catch (error) {
      this.logger.warn({ err: error }, 'readiness check failed: the database does not respond');
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'The service is not ready: the database does not respond',
      );
    }
    checks['database'] = 'up';
    if (this.sharedState.shared) {
      try {
        await this.sharedState.ping();
      } catch (error) {
        this.logger.warn({ err: error }, 'readiness check failed: Redis does not respond');
        throw new ProblemException(
          HttpStatus.SERVICE_UNAVAILABLE,
          'The service is not ready: the shared state store does not respond',
        );
      }
      checks['redis'] = 'up';
    }
    return { status: 'ok', checks };
  }
}
