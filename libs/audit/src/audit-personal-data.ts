import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { PersonalDataRegistry } from '@codexflow/core';

import { AuditEvent } from './audit-event.schema.js';
import { toAuditEventView } from './audit-query.service.js';
import { AuditTrail } from './audit-trail.service.js';

/**
 * Registers a person's audit events for export, and pseudonymises them on
 * purge. Events stay, because the trail must: the person's id becomes the
 * pseudonym and their address and user agent are dropped, also on the
 * anonymous events sent from the addresses they used (a sign-in before MFA,
 * a password reset request). The salt goes too, so the stored digest no
 * longer reveals the old values, and a keyed seal of the new values takes
 * its place. The chain covers the digest, not the fields, so it still
 * verifies.
 */
@Injectable()
export class AuditPersonalData implements OnModuleInit {
  constructor(
    @InjectModel(AuditEvent.name) private readonly events: Model<AuditEvent>,
    private readonly trail: AuditTrail,
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
        const about = await this.events
          .find({ $or: [{ userId }, { resourceId: userId }] })
          .lean<AuditEvent[]>()
          .exec();
        const addresses = [
          ...new Set(
            about
              .filter((event) => event.userId === userId && event.ipAddress !== null)
              .map((event) => event.ipAddress!),
          ),
        ];
        const anonymous =
          addresses.length === 0
            ? []
            : await this.events
                .find({ userId: null, ipAddress: mongoose.trusted({ $in: addresses }) })
                .lean<AuditEvent[]>()
                .exec();

        const now = new Date();
        for (const event of [...about, ...anonymous]) {
          const theirs = event.userId === userId || event.userId === null;
          const fields = {
            userId: event.userId === userId ? pseudonym : event.userId,
            resourceId: event.resourceId === userId ? pseudonym : event.resourceId,
            ipAddress: theirs ? null : event.ipAddress,
            userAgent: theirs ? null : event.userAgent,
          };
          await this.events.collection.updateOne(
            { _id: event._id as unknown as mongoose.Types.ObjectId },
            {
              $set: {
                ...fields,
                personalSalt: null,
                pseudonymisedAt: now,
                pseudonymSeal: this.trail.seal({ publicId: event.publicId, ...fields }),
              },
            },
          );
        }
      },
    });
  }
}
