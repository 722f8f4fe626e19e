import { maskEmail } from '@codexflow/core';

import type { Crossing } from '../detection/threshold-detector.js';
import { ipNetworkForLogs } from '../ip-blocking/ip-address.js';
import type { DetectorName } from '../metrics/metrics.js';

/** The JSON body posted to ALERT_WEBHOOK_URL. */
export interface SecurityAlert {
  type: 'security_alert';
  detector: DetectorName;
  /** The counted subject: an account id, a user id, a client IP address, or `all`. */
  key: string;
  count: number;
  threshold: number;
  windowSeconds: number;
  /** One line for people, such as a chat message. */
  summary: string;
  raisedAt: string;
  /** Set when the alert also blocked the client address `key` until this time. */
  blockedUntil?: string;
}

const COUNTED: Record<DetectorName, string> = {
  failed_logins: 'failed logins for account',
  unauthorized_responses: 'responses of 401 to',
  data_exports: 'personal-data exports by user',
  server_errors: 'server errors (status 500 or above, except 503) over',
};

export function toSecurityAlert(crossing: Crossing, blockedUntil?: Date): SecurityAlert {
  const { detector } = crossing;
  const blocked = blockedUntil === undefined ? '' : `; blocked until ${blockedUntil.toISOString()}`;
  return {
    type: 'security_alert',
    detector,
    key: crossing.key,
    count: crossing.count,
    threshold: crossing.threshold,
    windowSeconds: crossing.windowSeconds,
    summary:
      `${crossing.count} ${COUNTED[detector]} ${crossing.key} within ${crossing.windowSeconds} s ` +
      `(threshold ${crossing.threshold})${blocked}`,
    raisedAt: new Date().toISOString(),
    ...(blockedUntil === undefined ? {} : { blockedUntil: blockedUntil.toISOString() }),
  };
}

/**
 * Returns the alert's key as log lines may carry it: a client address cut to
 * its network, an e-mail address masked.
 */
export function alertKeyForLogs(alert: Pick<SecurityAlert, 'detector' | 'key'>): string {
  if (alert.detector === 'unauthorized_responses') {
    return ipNetworkForLogs(alert.key);
  }
  return maskEmail(alert.key);
}
