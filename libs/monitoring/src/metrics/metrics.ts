import { Injectable, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

import { AuditFeed, type FinishedResponse, HttpTraffic } from '@codexflow/core';

/** Route label of responses that matched no route, so raw paths never become label values. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The detectors whose alerts are counted, listed so their series exist at zero from the start. */
export const DETECTORS = [
  'failed_logins',
  'unauthorized_responses',
  'data_exports',
  'server_errors',
] as const;
export type DetectorName = (typeof DETECTORS)[number];

/** Label values from callers, such as a failure reason, are short snake_case words or `other`. */
const LABEL_VALUE = /^[a-z][a-z0-9_]{0,39}$/;
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The service's Prometheus metrics, in a registry of its own rather than
 * prom-client's global one, so several applications in one process (as in
 * the e2e tests) keep apart. Other libraries call the counting methods;
 * request durations come from an HttpTraffic observer and audit write
 * failures from the AuditFeed, both subscribed at start.
 */
@Injectable()
export class Metrics implements OnModuleInit {
  readonly registry = new Registry();

  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the start of a request to the end of its response, by route template.',
    labelNames: ['method', 'route', 'status_class'] as const,
    registers: [this.registry],
  });

  private readonly authFailures = new Counter({
    name: 'auth_failures_total',
    help: 'Failed authentication attempts, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly rateLimitRejections = new Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests rejected by a rate limiter, by limiter.',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  });

  private readonly securityAlerts = new Counter({
    name: 'security_alerts_total',
    help: 'Security alerts raised, by detector.',
    labelNames: ['detector'] as const,
    registers: [this.registry],
  });

  private readonly alertDeliveryFailures = new Counter({
    name: 'alert_delivery_failures_total',
    help: 'Security alerts that could not be posted to ALERT_WEBHOOK_URL after every retry.',
    registers: [this.registry],
  });

  private readonly auditWriteFailures = new Counter({
    name: 'audit_write_failures_total',
    help: 'Audit events that could not be written.',
    registers: [this.registry],
  });

  constructor(
    private readonly traffic: HttpTraffic,
    private readonly feed: AuditFeed,
  ) {
    // NOTE: prom-client cannot stop the GC observer and event loop monitor that this starts.
    // Each Metrics instance keeps them until the process exits, which matters only in tests.
    collectDefaultMetrics({ register: this.registry });
    for (const detector of DETECTORS) {
      this.securityAlerts.labels(detector).inc(0);
    }
  }

  onModuleInit(): void {
    this.traffic.addObserver((response) => this.observeResponse(response));
    this.feed.onWriteFailure(() => this.auditWriteFailed());
    // Every failed sign-in, MFA check or refresh is an audit event of the auth library.
    this.feed.subscribe((event) => {
      if (event.result === 'failure' && event.action.startsWith('auth.')) {
        const reason = event.details.reason;
        this.authFailure(typeof reason === 'string' ? reason : event.action.slice('auth.'.length));
      }
    });
  }

  observeResponse(response: FinishedResponse): void {
    this.requestDuration.observe(
      {
        method: KNOWN_METHODS.has(response.method) ? response.method : 'OTHER',
        route: response.route ?? UNMATCHED_ROUTE,
        status_class: `${Math.floor(response.status / 100)}xx`,
      },
      response.durationSeconds,
    );
    if (response.status === 429 && response.rateLimitedBy !== null) {
      this.rateLimited(response.rateLimitedBy);
    }
  }

  /** Counts a failed authentication. `reason` is a snake_case word such as `invalid_credentials`. */
  authFailure(reason: string): void {
    this.authFailures.labels(labelValue(reason)).inc();
  }

  /** Counts a request that a rate limiter rejected. `limiter` names it, such as `login_per_ip`. */
  rateLimited(limiter: string): void {
    this.rateLimitRejections.labels(labelValue(limiter)).inc();
  }

  securityAlert(detector: DetectorName): void {
    this.securityAlerts.labels(detector).inc();
  }

  alertDeliveryFailed(): void {
    this.alertDeliveryFailures.inc();
  }

  /** Counts an audit event that could not be written, as AuditFeed.publishWriteFailure reports. */
  auditWriteFailed(): void {
    this.auditWriteFailures.inc();
  }

  /** Renders every metric in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Replaces a value that is not a short snake_case word, such as a message or an address, with `other`. */
function labelValue(value: string): string {
  return LABEL_VALUE.test(value) ? value : 'other';
}
