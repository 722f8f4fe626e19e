import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PersonalDataRegistry } from './personal-data-registry.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_RETENTION_MS = DAY_MS;

function startsWith(prefix: string) {
  return { $regex: `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` };
}

/**
 * Registers the personal data and retention of core's own collections:
 * idempotency records, whose ids and stored responses belong to a caller,
 * and single-use claims, some of whose keys name a user.
 */
@Injectable()
export class CoreDataRules implements OnModuleInit {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: PersonalDataRegistry,
  ) {}

  onModuleInit(): void {
    const idempotency = this.connection.collection<{ _id: string; createdAt: Date }>(
      'idempotency_records',
    );
    const claims = this.connection.collection<{ _id: string; claimedAt: Date }>('claims');

    this.registry.register({
      name: 'idempotencyRecords',
      description: 'Responses kept for 24 hours so a retried create request is not applied twice',
      export: async (userId) =>
        (await idempotency.find({ _id: startsWith(`${userId}:`) }).toArray()).map((record) => ({
          request: record._id.slice(userId.length + 1),
          createdAt: record.createdAt,
        })),
      erase: async ({ userId }) => {
        await idempotency.deleteMany({ _id: startsWith(`${userId}:`) });
        await claims.deleteMany({ _id: startsWith(`totp:${userId}:`) });
      },
    });
    this.registry.registerRetention({
      name: 'idempotency records',
      apply: async (now) =>
        (
          await idempotency.deleteMany({
            createdAt: { $lt: new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS) },
          })
        ).deletedCount,
    });
    this.registry.registerRetention({
      name: 'single-use claims',
      // A claim must outlive what it guards; the longest-lived is a session's refresh token.
      apply: async (now) =>
        (
          await claims.deleteMany({
            claimedAt: {
              $lt: new Date(
                now.getTime() - this.config.sessions.refreshAbsoluteSeconds * 1000 - DAY_MS,
              ),
            },
          })
        ).deletedCount,
    });
  }
}
