import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { PersonalDataRegistry } from '@codexflow/core';

import { AuditEvent } from './audit-event.schema.js';
import { toAuditEventView } from './audit-query.service.js';

/**
 * Registers a person's audit events for export, and pseudonymises them on
 * purge. Events stay, because the trail must: the person's id becomes the
 * pseudonym, their address and user agent are dropped, and so is the salt,
 * so the stored digest no longer reveals the old values. The chain covers
 * the digest, not the fields, so it still verifies.
 */
@Injectable()
export class AuditPersonalData implements OnModuleInit {
  constructor(
    @InjectModel(AuditEvent.name) private readonly events: Model<AuditEvent>,
    private readonly registry: PersonalDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'auditEvents',
      description: 'Security and activity events recorded about the person’s own actions',
      export: async (userId) =>
        (await this.events.find({ userId }).sort({ _id: 1 }).lean<AuditEvent[]>().exec()).map(
          toAuditEventView,
        ),
      erase: async ({ userId, pseudonym }) => {
        const now = new Date();
        await this.events.collection.updateMany(
          { userId },
          {
            $set: {
              userId: pseudonym,
              ipAddress: null,
              userAgent: null,
              personalSalt: null,
              pseudonymisedAt: now,
            },
          },
        );
        await this.events.collection.updateMany(
          { resourceId: userId },
          { $set: { resourceId: pseudonym, personalSalt: null, pseudonymisedAt: now } },
        );
      },
    });
  }
}
