import { Injectable } from '@nestjs/common';

import type { Principal } from '@codexflow/access';
import { AccountLifecycle, type User, UsersService } from '@codexflow/users';

import { StepUpService } from '../mfa/step-up.service.js';
import { PasswordHasher } from '../passwords/password-hasher.js';

import { SessionsService } from '../sessions/sessions.service.js';
import { AccountLockout } from './account-lockout.js';
import { AccountMailer } from './account-mailer.js';
import { OneTimeTokensService } from './one-time-tokens.service.js';

/** Carries out the account steps that the users routes start. */
@Injectable()
export class AuthAccountLifecycle extends AccountLifecycle {
  constructor(
    private readonly sessions: SessionsService,
    private readonly tokens: OneTimeTokensService,
    private readonly mailer: AccountMailer,
    private readonly stepUp: StepUpService,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly lockout: AccountLockout,
  ) {
    super();
  }

  requireStepUp(actor: Principal, mfaCode: string | undefined): Promise<void> {
    return this.stepUp.require(actor, mfaCode);
  }

  /** Wrong passwords count towards the account lockout, as they do at sign-in. */
  async verifyPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.users.findById(userId);
    if (user?.passwordHash === null || user === null) {
      await this.hasher.verifyDummy(password);
      return false;
    }
    const hash = user.passwordHash;
    return this.lockout.checkPassword(user, () => this.hasher.verify(hash, password));
  }

  revokeSessions(userId: string, keepSessionId?: string): Promise<void> {
    return this.sessions.revokeAllForUser(userId, 'account-change', keepSessionId);
  }

  async sendInvitation(user: User): Promise<void> {
    const token = await this.tokens.issue('invitation', user.publicId);
    this.mailer.invitation(user.email, token, user.role);
  }

  async startEmailChange(user: User, newEmail: string): Promise<void> {
    await this.tokens.revokeOutstanding(user.publicId, 'change-email');
    const token = await this.tokens.issue('change-email', user.publicId, newEmail);
    this.mailer.confirmEmailChange(newEmail, token);
    this.mailer.emailChangeRequested(user.email);
  }
}
