import { Injectable, Logger } from '@nestjs/common';

import type { AuditedEvent } from './audit-recorder.js';

export type AuditListener = (event: AuditedEvent) => void;

/**
 * Hands every written audit event to in-process listeners such as the
 * security detectors. A listener that throws is logged and skipped, so it
 * cannot fail the request that wrote the event.
 */
@Injectable()
export class AuditFeed {
  private readonly logger = new Logger(AuditFeed.name);
  private readonly listeners: AuditListener[] = [];
  private readonly failureListeners: Array<() => void> = [];

  subscribe(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  /** Calls `listener` whenever an event could not be written, for the failure metric. */
  onWriteFailure(listener: () => void): void {
    this.failureListeners.push(listener);
  }

  publishWriteFailure(): void {
    for (const listener of this.failureListeners) {
      listener();
    }
  }

  publish(event: AuditedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, eventId: event.id }, 'audit listener failed');
      }
    }
  }
}
