import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { PersonalDataRegistry } from '@codexflow/core';

import { User } from './user.schema.js';

/** The position of the account among the erasers: after every other section. */
const LAST = 1000;

/** Registers the account itself for export and purge. */
@Injectable()
export class UsersPersonalData implements OnModuleInit {
  constructor(
    @InjectModel(User.name) private readonly users: Model<User>,
    private readonly registry: PersonalDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'profile',
      description: 'The account: e-mail address, name, role, status and security settings',
      export: async (userId) => {
        const user = await this.users.findOne({ publicId: userId }).lean<User>().exec();
        return user === null
          ? null
          : {
              id: user.publicId,
              email: user.email,
              pendingEmail: user.pendingEmail,
              emailVerified: user.emailVerified,
              name: user.name,
              role: user.role,
              status: user.status,
              mfaEnabled: user.mfaEnabled,
              passwordChangedAt: user.passwordChangedAt,
              purgeAfter: user.purgeAfter,
              createdAt: user.createdAt,
              updatedAt: user.updatedAt,
            };
      },
      erase: async ({ userId }) => {
        await this.users.deleteOne({ publicId: userId }).exec();
      },
      eraseOrder: LAST,
    });
  }
}
