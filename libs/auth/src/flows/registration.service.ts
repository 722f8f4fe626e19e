import { HttpStatus, Injectable, Logger } from '@nestjs/common';

import { generatePublicId, ProblemException, AuditRecorder } from '@codexflow/core';
import { UsersService } from '@codexflow/users';

import { PasswordHasher } from '../passwords/password-hasher.js';
import { PasswordPolicy } from '../passwords/password-policy.js';
import { AccountMailer } from './account-mailer.js';
import type { RegisterDto } from './auth.dto.js';
import { OneTimeTokensService } from './one-time-tokens.service.js';
import { assertAcceptablePassword } from './password-rules.js';

/** Self-registration and e-mail verification. */
@Injectable()
export class RegistrationService {
  private readonly logger = new Logger(RegistrationService.name);

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly tokens: OneTimeTokensService,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditRecorder,
  ) {}

  /**
   * Registers a viewer account and mails a verification link. For an address
   * that is already registered it mails the owner instead. The caller gets the
   * same result either way, after the same password hashing work.
   */
  async register(registration: RegisterDto): Promise<void> {
    assertAcceptablePassword(this.policy, 'password', registration.password, registration.email);
    const passwordHash = await this.hasher.hash(registration.password);

    const created = await this.users.create({
      publicId: generatePublicId('usr'),
      email: registration.email,
      name: registration.name,
      role: 'viewer',
      status: 'active',
      emailVerified: false,
      passwordHash,
    });

    if (created === null) {
      this.mailer.alreadyRegistered(registration.email);
      this.logger.log(
        { event: 'registration-of-known-address' },
        'registration for a known address',
      );
      await this.audit.record({
        action: 'auth.register',
        resource: 'users',
        result: 'failure',
        details: { reason: 'known_address' },
      });
      return;
    }

    const token = await this.tokens.issue('verify-email', created.publicId);
    this.mailer.verifyEmail(created.email, token);
    this.logger.log({ event: 'registration', userId: created.publicId }, 'account registered');
    await this.audit.record({
      action: 'auth.register',
      resource: 'users',
      resourceId: created.publicId,
      userId: created.publicId,
      result: 'success',
    });
  }

  /** Applies a verification or e-mail change link. */
  async verifyEmail(token: string): Promise<void> {
    const pending = await this.tokens.peek(token, ['change-email']);
    const newEmail = pending?.email ?? null;
    if (newEmail !== null && (await this.users.findByEmail(newEmail)) !== null) {
      throw emailTaken();
    }

    const used = await this.tokens.consume(token, ['verify-email', 'change-email']);
    if (used === null) {
      throw invalidLink();
    }

    if (used.purpose === 'change-email' && used.email !== null) {
      if ((await this.users.applyEmail(used.userId, used.email)) === null) {
        throw emailTaken();
      }
    } else {
      await this.users.update(used.userId, { emailVerified: true });
    }
    this.logger.log({ event: 'email-verified', userId: used.userId }, 'e-mail address verified');
    await this.audit.record({
      action: 'auth.verify_email',
      resource: 'users',
      resourceId: used.userId,
      userId: used.userId,
      result: 'success',
    });
  }

  /** Mails a fresh verification link to an unverified account; silent otherwise. */
  async resendVerification(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (user === null || user.emailVerified || user.status !== 'active') {
      return;
    }

    await this.tokens.revokeOutstanding(user.publicId, 'verify-email');
    const token = await this.tokens.issue('verify-email', user.publicId);
    this.mailer.verifyEmail(user.email, token);
  }
}

function emailTaken(): ProblemException {
  return new ProblemException(
    HttpStatus.CONFLICT,
    'Another account uses this e-mail address now; request the change again with another address',
  );
}

export function invalidLink(): ProblemException {
  return new ProblemException(
    HttpStatus.BAD_REQUEST,
    'The link is invalid, expired or already used; request a new one',
  );
}
