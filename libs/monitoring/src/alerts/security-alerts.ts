import { Injectable, Logger } from '@nestjs/common';

import type { Crossing } from '../detection/threshold-detector.js';
import { Metrics } from '../metrics/metrics.js';
import { AlertWebhook } from './alert-webhook.js';
import { alertKeyForLogs, toSecurityAlert } from './security-alert.js';

/**
 * Raises security alerts: one structured warning in the log, one count in
 * security_alerts_total, and a post to the webhook in the background.
 */
@Injectable()
export class SecurityAlerts {
  private readonly logger = new Logger(SecurityAlerts.name);

  constructor(
    private readonly metrics: Metrics,
    private readonly webhook: AlertWebhook,
  ) {}

  raise(crossing: Crossing, blockedUntil?: Date): void {
    const alert = toSecurityAlert(crossing, blockedUntil);
    this.metrics.securityAlert(alert.detector);
    this.logger.warn(
      {
        detector: alert.detector,
        key: alertKeyForLogs(alert),
        count: alert.count,
        threshold: alert.threshold,
        windowSeconds: alert.windowSeconds,
        ...(alert.blockedUntil === undefined ? {} : { blockedUntil: alert.blockedUntil }),
      },
      `security alert: ${alert.detector} above its threshold`,
    );
    this.webhook.enqueue(alert);
  }
}
