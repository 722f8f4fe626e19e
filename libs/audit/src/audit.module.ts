import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';

import { AuditRecorder } from '@codexflow/core';

import { AuditCheckpoint, AuditCheckpointSchema } from './audit-checkpoint.schema.js';
import { AuditEvent, AuditEventSchema } from './audit-event.schema.js';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditPersonalData } from './audit-personal-data.js';
import { AuditQueries } from './audit-query.service.js';
import { AuditTrail } from './audit-trail.service.js';

/** The audit trail: every library records through AuditRecorder, which this module provides. */
@Global()
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: AuditEvent.name, schema: AuditEventSchema },
      { name: AuditCheckpoint.name, schema: AuditCheckpointSchema },
    ]),
  ],
  controllers: [AuditController],
  providers: [
    AuditTrail,
    AuditQueries,
    AuditPersonalData,
    { provide: AuditRecorder, useExisting: AuditTrail },
  ],
  exports: [AuditTrail, AuditRecorder],
})
export class AuditModule {}

/** The audit module with its interceptor, for the HTTP service; jobs use AuditModule alone. */
@Module({
  imports: [AuditModule],
  providers: [{ provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
})
export class HttpAuditModule {}
