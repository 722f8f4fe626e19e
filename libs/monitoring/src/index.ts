export type { SecurityAlert } from './alerts/security-alert.js';
export type { BlockedIpEntry } from './ip-blocking/ip-block-list.js';
export { MetricsServer } from './metrics/metrics-server.js';
export { DETECTORS, type DetectorName, Metrics } from './metrics/metrics.js';
export { MonitoringModule } from './monitoring.module.js';
