import { Injectable } from '@nestjs/common';

/**
 * Whether the process is shutting down. Set on SIGTERM, before the server
 * stops accepting connections, so readiness turns 503 and the load balancer
 * stops routing while requests still succeed.
 */
@Injectable()
export class ShutdownState {
  private drainingSince?: Date;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  startDraining(): void {
    this.drainingSince ??= new Date();
  }
}
