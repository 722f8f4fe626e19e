import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import {
  APP_CONFIG,
  type AppConfig,
  AuditFeed,
  type AuditedEvent,
  type FinishedResponse,
  HttpTraffic,
  SharedState,
} from '@codexflow/core';

import { SecurityAlerts } from '../alerts/security-alerts.js';
import { canonicalIp } from '../ip-blocking/ip-address.js';
import { IpBlockList } from '../ip-blocking/ip-block-list.js';
import { type Crossing, ThresholdDetector } from './threshold-detector.js';

/** Key of the server error detector, which counts over every client and route together. */
export const ALL_REQUESTS_KEY = 'all';

/**
 * Feeds the detectors from finished responses and written audit events, and
 * acts on their crossings: every crossing raises an alert, and too many 401
 * responses to one address also block it. All work runs after the response or
 * the audit write it comes from, so it never delays a request.
 */
@Injectable()
export class SecurityMonitor implements OnModuleInit {
  private readonly logger = new Logger(SecurityMonitor.name);
  readonly failedLogins: ThresholdDetector;
  readonly unauthorizedResponses: ThresholdDetector;
  readonly dataExports: ThresholdDetector;
  readonly serverErrors: ThresholdDetector;
  /** Set from a failed count until the next count succeeds. */
  private failing = false;

  constructor(
    counter: SharedState,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly traffic: HttpTraffic,
    private readonly feed: AuditFeed,
    private readonly alerts: SecurityAlerts,
    private readonly blockList: IpBlockList,
  ) {
    const rules = config.alerts;
    this.failedLogins = new ThresholdDetector('failed_logins', rules.failedLogins, counter);
    this.unauthorizedResponses = new ThresholdDetector(
      'unauthorized_responses',
      rules.unauthorizedResponses,
      counter,
    );
    this.dataExports = new ThresholdDetector('data_exports', rules.dataExports, counter);
    this.serverErrors = new ThresholdDetector('server_errors', rules.serverErrors, counter);
  }

  onModuleInit(): void {
    this.traffic.addObserver((response) => this.observeResponse(response));
    this.feed.subscribe((event) => this.observeAuditEvent(event));
  }

  observeResponse(response: FinishedResponse): void {
    if (response.status === 401 && response.ipAddress !== null) {
      // NOTE: counted and blocked per full address, while the rate limits count IPv6 per /64,
      // so an IPv6 client that rotates within its /64 is never blocked, only rate-limited.
      const ip = canonicalIp(response.ipAddress) ?? response.ipAddress;
      this.track(this.unauthorizedResponses, ip, (crossing) => this.blockAddress(crossing));
    }
    // The service returns 503 while it drains or a dependency is down, which readiness
    // reports. Counting it would page security on every rolling restart.
    if (response.status >= 500 && response.status !== 503) {
      this.track(this.serverErrors, ALL_REQUESTS_KEY);
    }
  }

  observeAuditEvent(event: AuditedEvent): void {
    if (event.action === 'auth.login' && event.result === 'failure') {
      const account = accountKeyOf(event);
      if (account === undefined) {
        this.logger.debug({ eventId: event.id }, 'failed login names no account; not counted');
        return;
      }
      this.track(this.failedLogins, account);
    }
    if (event.action === 'gdpr.export' && event.result === 'success' && event.userId !== null) {
      this.track(this.dataExports, event.userId);
    }
  }

  /** Counts a hit in the background and acts on a crossing. Errors are logged instead of thrown. */
  private track(
    detector: ThresholdDetector,
    key: string,
    act: (crossing: Crossing) => Promise<void> = (crossing) => {
      this.alerts.raise(crossing);
      return Promise.resolve();
    },
  ): void {
    detector
      .hit(key)
      .then((crossing) => {
        this.noteDetectorsWork();
        return crossing === undefined ? undefined : act(crossing);
      })
      .catch((error: unknown) => this.noteDetectorFailed(detector, error));
  }

  /**
   * Logs the first failure of an outage only: while the shared state is down every
   * request would add one more line with the same cause.
   */
  private noteDetectorFailed(detector: ThresholdDetector, error: unknown): void {
    if (this.failing) {
      return;
    }
    this.failing = true;
    this.logger.error(
      { err: error, detector: detector.name },
      'security detector failed; further failures are not logged until a count succeeds',
    );
  }

  private noteDetectorsWork(): void {
    if (this.failing) {
      this.failing = false;
      this.logger.log('security detectors are counting again');
    }
  }

  /**
   * Blocks the address, raises the alert, and resets the address's count, so
   * that after the block ends a new run of 401 responses blocks it again.
   */
  private async blockAddress(crossing: Crossing): Promise<void> {
    const reason = `${crossing.count} responses of 401 within ${crossing.windowSeconds} s`;
    let blockedUntil: Date | undefined;
    try {
      blockedUntil = await this.blockList.block(crossing.key, reason);
    } finally {
      // The alert goes out even when storing the block failed, which the caller then logs.
      this.alerts.raise(crossing, blockedUntil);
      await this.unauthorizedResponses.reset(crossing.key);
    }
  }
}

/**
 * Identifies the account of a failed login: the resource or user id the event
 * names, else a digest of the e-mail address in its details, so attempts on an
 * unknown address are counted without keeping the address.
 */
function accountKeyOf(event: AuditedEvent): string | undefined {
  const id = event.resourceId ?? event.userId;
  if (id !== null) {
    return id;
  }
  const email = event.details.email;
  if (typeof email !== 'string' || email.trim() === '') {
    return undefined;
  }
  const digest = createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  return `email-sha256:${digest.slice(0, 32)}`;
}
