import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { APP_CONFIG, type AppConfig, generatePublicId } from '@codexflow/core';
import { UsersService } from '@codexflow/users';

import { PasswordHasher } from '../passwords/password-hasher.js';
import { PasswordPolicy } from '../passwords/password-policy.js';

/**
 * Creates a verified admin from BOOTSTRAP_ADMIN_EMAIL and
 * BOOTSTRAP_ADMIN_PASSWORD at start when no active admin exists.
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.bootstrapAdmin;
    if (admin === undefined || (await this.users.existsWithRole('admin'))) {
      return;
    }

    const problems = this.policy.check(admin.password, admin.email);
    if (problems.length > 0) {
      throw new Error(`BOOTSTRAP_ADMIN_PASSWORD is not acceptable: ${problems.join('; ')}`);
    }

    const created = await this.users.create({
      publicId: generatePublicId('usr'),
      email: admin.email,
      name: 'Administrator',
      role: 'admin',
      status: 'active',
      emailVerified: true,
      passwordHash: await this.hasher.hash(admin.password),
    });
    if (created === null) {
      this.logger.warn(
        'BOOTSTRAP_ADMIN_EMAIL belongs to an existing account that is not an admin; no admin was created',
      );
      return;
    }
    this.logger.log(
      { event: 'bootstrap-admin', userId: created.publicId },
      'bootstrap admin created',
    );
  }
}
