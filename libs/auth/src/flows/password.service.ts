import { HttpStatus, Injectable, Logger } from '@nestjs/common';

import type { Principal } from '@codexflow/access';
import { ProblemException, AuditRecorder } from '@codexflow/core';
import { UsersService } from '@codexflow/users';

import { StepUpService } from '../mfa/step-up.service.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { PasswordPolicy } from '../passwords/password-policy.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { AccountLockout } from './account-lockout.js';
import { AccountMailer } from './account-mailer.js';
import { OneTimeTokensService } from './one-time-tokens.service.js';
import { assertAcceptablePassword } from './password-rules.js';
import { invalidLink } from './registration.service.js';

/** Forgotten, reset and changed passwords. */
@Injectable()
export class PasswordService {
  private readonly logger = new Logger(PasswordService.name);

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly tokens: OneTimeTokensService,
    private readonly sessions: SessionsService,
    private readonly mailer: AccountMailer,
    private readonly stepUp: StepUpService,
    private readonly lockout: AccountLockout,
    private readonly audit: AuditRecorder,
  ) {}

  /** Mails a reset link to an active account; silent for any other address. */
  async forgot(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (user === null || user.status !== 'active') {
      return;
    }

    await this.tokens.revokeOutstanding(user.publicId, 'reset-password');
    const token = await this.tokens.issue('reset-password', user.publicId);
    this.mailer.passwordReset(user.email, token);
  }

  /** Sets a new password from a reset link and signs out every session. */
  async reset(token: string, newPassword: string): Promise<void> {
    const pending = await this.tokens.peek(token, ['reset-password']);
    const user = pending === null ? null : await this.users.findById(pending.userId);
    if (user === null || user.status !== 'active') {
      throw invalidLink();
    }
    assertAcceptablePassword(this.policy, 'newPassword', newPassword, user.email);

    const passwordHash = await this.hasher.hash(newPassword);
    if ((await this.tokens.consume(token, ['reset-password'])) === null) {
      throw invalidLink();
    }

    // Following the mailed link also proves the address.
    await this.users.update(user.publicId, {
      passwordHash,
      passwordChangedAt: new Date(),
      emailVerified: true,
    });
    await this.lockout.clear(user.publicId);
    await this.sessions.revokeAllForUser(user.publicId, 'password-reset');
    this.mailer.passwordChanged(user.email);
    this.logger.log({ event: 'password-reset', userId: user.publicId }, 'password reset');
    await this.audit.record({
      action: 'auth.password_reset',
      resource: 'users',
      resourceId: user.publicId,
      userId: user.publicId,
      result: 'success',
    });
  }

  /** Changes the caller's password and signs out their other sessions. */
  async change(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    mfaCode: string | undefined,
  ): Promise<void> {
    const user = await this.users.findById(principal.userId);
    if (user?.status !== 'active' || user.passwordHash === null) {
      throw new ProblemException(HttpStatus.UNAUTHORIZED, 'The account is no longer active');
    }
    const hash = user.passwordHash;
    if (
      !(await this.lockout.checkPassword(user, () => this.hasher.verify(hash, currentPassword)))
    ) {
      throw new ProblemException(HttpStatus.FORBIDDEN, 'The current password is incorrect');
    }
    await this.stepUp.require(principal, mfaCode);
    assertAcceptablePassword(this.policy, 'newPassword', newPassword, user.email);

    await this.users.update(user.publicId, {
      passwordHash: await this.hasher.hash(newPassword),
      passwordChangedAt: new Date(),
    });
    await this.sessions.revokeAllForUser(user.publicId, 'password-change', principal.sessionId);
    this.mailer.passwordChanged(user.email);
    this.logger.log({ event: 'password-change', userId: user.publicId }, 'password changed');
    await this.audit.record({
      action: 'auth.password_change',
      resource: 'users',
      resourceId: user.publicId,
      userId: user.publicId,
      result: 'success',
    });
  }
}
