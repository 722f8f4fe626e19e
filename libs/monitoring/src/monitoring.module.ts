import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';

import { AlertWebhook } from './alerts/alert-webhook.js';
import { SecurityAlerts } from './alerts/security-alerts.js';
import { SecurityMonitor } from './detection/security-monitor.js';
import { HealthController } from './health.controller.js';
import { BlockedIp, BlockedIpSchema } from './ip-blocking/blocked-ip.schema.js';
import { BlockedIpsController } from './ip-blocking/blocked-ips.controller.js';
import { IpBlockList } from './ip-blocking/ip-block-list.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { Metrics } from './metrics/metrics.js';
import { SecurityTxtController } from './security-txt.controller.js';

/**
 * Health probes, security.txt, Prometheus metrics on their own port, the
 * security detectors and the IP block list. Global, so that any library can
 * inject Metrics to count its events without importing this module.
 */
@Global()
@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    MongooseModule.forFeature([{ name: BlockedIp.name, schema: BlockedIpSchema }]),
  ],
  controllers: [HealthController, SecurityTxtController, BlockedIpsController],
  providers: [Metrics, MetricsServer, AlertWebhook, SecurityAlerts, IpBlockList, SecurityMonitor],
  exports: [Metrics],
})
export class MonitoringModule {}
