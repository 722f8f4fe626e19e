import { HttpStatus, Injectable, Logger } from '@nestjs/common';

import { KeyedMutex, noteRateLimited, ProblemException, AuditRecorder } from '@codexflow/core';
import { normaliseEmail, type User, UsersService } from '@codexflow/users';

import { MfaLoginService } from '../mfa/mfa-login.service.js';
import type { MfaRequiredDto } from '../mfa/mfa.dto.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import type { ClientContext } from '../sessions/client-context.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { AccountLockout } from './account-lockout.js';
import { AccountMailer } from './account-mailer.js';
import { TokenIssuer, type TokenSet } from './token-issuer.js';

function invalidCredentials(): ProblemException {
  return new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'The e-mail address or password is incorrect',
  );
}

function locked(until: Date): ProblemException {
  noteRateLimited('login_lockout');
  const retryAfter = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return new ProblemException(
    HttpStatus.TOO_MANY_REQUESTS,
    `Too many failed sign-ins; try again in ${retryAfter} seconds`,
    'about:blank',
    undefined,
    { 'Retry-After': String(retryAfter) },
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
    private readonly mailer: AccountMailer,
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
    const lockedUntil = await this.lockout.lockedUntil(user.publicId);
    if (lockedUntil !== null) {
      await this.loginFailed(user.publicId, 'locked');
      throw locked(lockedUntil);
    }

    if (!(await this.hasher.verify(user.passwordHash, password))) {
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
    const lock = await this.lockout.recordFailure(user.publicId);
    this.logger.warn({ event: 'login-failure', userId: user.publicId }, 'failed sign-in');
    await this.loginFailed(user.publicId, 'wrong_password');
    if (lock === null) {
      return;
    }

    this.mailer.accountLocked(user.email, Math.ceil(lock.seconds / 60));
    this.logger.warn(
      { event: 'account-locked', userId: user.publicId, lockSeconds: lock.seconds },
      'security event: account locked after repeated failed sign-ins',
    );
    await this.audit.record({
      action: 'auth.lockout',
      resource: 'users',
      resourceId: user.publicId,
      userId: user.publicId,
      result: 'success',
      details: { lockSeconds: lock.seconds },
    });
    throw locked(lock.until);
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
