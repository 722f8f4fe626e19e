import { HttpStatus, Injectable, Logger } from '@nestjs/common';

import { KeyedMutex, ProblemException, AuditRecorder } from '@codexflow/core';
import { normaliseEmail, type User, UsersService } from '@codexflow/users';

import { MfaLoginService } from '../mfa/mfa-login.service.js';
import type { MfaRequiredDto } from '../mfa/mfa.dto.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import type { ClientContext } from '../sessions/client-context.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { AccountLockout, accountLocked } from './account-lockout.js';
import { TokenIssuer, type TokenSet } from './token-issuer.js';

function invalidCredentials(): ProblemException {
  return new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'The e-mail address or password is incorrect',
  );
}

/** Password login with account lockout. */
@Injectable()
export class LoginService {
  private readonly logger = new Logger(LoginService.name);
  private readonly attempts = new KeyedMutex();

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly issuer: TokenIssuer,
    private readonly mfaLogins: MfaLoginService,
    private readonly lockout: AccountLockout,
    private readonly audit: AuditRecorder,
  ) {}

  /**
   * Unknown addresses, wrong passwords and accounts that no longer sign in
   * all get the same 401 after the same hashing work. A locked account gets
   * 429 even with the right password.
   */
  login(
    email: string,
    password: string,
    client: ClientContext,
  ): Promise<TokenSet | MfaRequiredDto> {
    // Attempts on one account run one at a time in this replica, so a burst cannot outrun the
    // lockout count. Across replicas the shared count is atomic, so at most one attempt per
    // replica can be in flight when the lock starts.
    return this.attempts.runExclusive(normaliseEmail(email), () =>
      this.attempt(email, password, client),
    );
  }

  private async attempt(
    email: string,
    password: string,
    client: ClientContext,
  ): Promise<TokenSet | MfaRequiredDto> {
    const user = await this.users.findByEmail(email);
    if (user === null || user.passwordHash === null || user.status !== 'active') {
      await this.hasher.verifyDummy(password);
      await this.loginFailed(
        user?.publicId ?? null,
        user === null ? 'unknown_account' : 'inactive',
      );
      throw invalidCredentials();
    }
    // One password check of the account at a time, with password change and erasure too.
    const hash = user.passwordHash;
    return this.lockout.runExclusive(user.publicId, () =>
      this.checkPassword(user, hash, password, client),
    );
  }

  private async checkPassword(
    user: User,
    hash: string,
    password: string,
    client: ClientContext,
  ): Promise<TokenSet | MfaRequiredDto> {
    const lockedUntil = await this.lockout.lockedUntil(user.publicId);
    if (lockedUntil !== null) {
      await this.loginFailed(user.publicId, 'locked');
      throw accountLocked(lockedUntil);
    }

    if (!(await this.hasher.verify(hash, password))) {
      await this.recordFailure(user);
      throw invalidCredentials();
    }
    if (!user.emailVerified) {
      await this.loginFailed(user.publicId, 'email_not_verified');
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'Verify your e-mail address first; the link was mailed at registration',
      );
    }

    await this.lockout.clear(user.publicId);

    const methods = await this.mfaLogins.methodsFor(user.publicId);
    if (methods.length > 0) {
      // The password step on its own; the MFA step records the sign-in that follows.
      await this.audit.record({
        action: 'auth.login',
        resource: 'users',
        resourceId: user.publicId,
        userId: user.publicId,
        result: 'success',
        details: { stage: 'password', next: 'mfa' },
      });
      return this.mfaLogins.start(user, methods);
    }
    return this.startSession(user, ['pwd'], client);
  }

  async startSession(user: User, amr: string[], client: ClientContext): Promise<TokenSet> {
    const { session, refreshToken } = await this.sessions.create(user.publicId, amr, client);
    this.logger.log(
      { event: 'login', userId: user.publicId, sessionId: session.publicId },
      'session started',
    );
    await this.audit.record({
      action: 'auth.login',
      resource: 'users',
      resourceId: user.publicId,
      userId: user.publicId,
      result: 'success',
      details: { sessionId: session.publicId, amr: amr.join(' ') },
    });
    return this.issuer.issue(user, session, refreshToken);
  }

  private async recordFailure(user: User): Promise<void> {
    this.logger.warn({ event: 'login-failure', userId: user.publicId }, 'failed sign-in');
    await this.loginFailed(user.publicId, 'wrong_password');
    await this.lockout.countWrongPassword(user);
  }

  /** Records a failed sign-in; the account is null when the address matched none. */
  private loginFailed(userId: string | null, reason: string): Promise<void> {
    return this.audit.record({
      action: 'auth.login',
      resource: 'users',
      resourceId: userId,
      userId,
      result: 'failure',
      details: { reason },
    });
  }
}
