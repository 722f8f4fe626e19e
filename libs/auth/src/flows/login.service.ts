import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';

import {
  APP_CONFIG,
  type AppConfig,
  KeyedMutex,
  ProblemException,
  AuditRecorder,
} from '@codexflow/core';
import { normaliseEmail, type User, UsersService } from '@codexflow/users';

import { MfaLoginService } from '../mfa/mfa-login.service.js';
import type { MfaRequiredDto } from '../mfa/mfa.dto.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import type { ClientContext } from '../sessions/client-context.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { AccountMailer } from './account-mailer.js';
import { TokenIssuer, type TokenSet } from './token-issuer.js';

/** The first lock lasts this long; each further lock in a row lasts twice as long, up to the maximum. */
const FIRST_LOCK_SECONDS = 60;

function invalidCredentials(): ProblemException {
  return new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'The e-mail address or password is incorrect',
  );
}

function locked(until: Date): ProblemException {
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    // Attempts on one account run one at a time, so a burst cannot outrun the lockout count.
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
    if (user.lockedUntil !== null && user.lockedUntil > new Date()) {
      await this.loginFailed(user.publicId, 'locked');
      throw locked(user.lockedUntil);
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

    await this.users.update(user.publicId, {
      failedLoginCount: 0,
      failedLoginWindowStartedAt: null,
      lockedUntil: null,
      lockLevel: 0,
    });

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
    const now = new Date();
    const { threshold, windowSeconds, maxLockSeconds } = this.config.lockout;
    const windowStart = new Date(now.getTime() - windowSeconds * 1000);
    const counted = await this.users.recordFailedLogin(user.publicId, now, windowStart);
    this.logger.warn({ event: 'login-failure', userId: user.publicId }, 'failed sign-in');
    await this.loginFailed(user.publicId, 'wrong_password');

    if (counted === null || counted.failedLoginCount < threshold) {
      return;
    }

    const lockLevel = counted.lockLevel + 1;
    const lockSeconds = Math.min(FIRST_LOCK_SECONDS * 2 ** (lockLevel - 1), maxLockSeconds);
    const lockedUntil = new Date(now.getTime() + lockSeconds * 1000);
    await this.users.update(user.publicId, { lockedUntil, lockLevel });

    this.mailer.accountLocked(user.email, Math.ceil(lockSeconds / 60));
    this.logger.warn(
      { event: 'account-locked', userId: user.publicId, lockSeconds },
      'security event: account locked after repeated failed sign-ins',
    );
    await this.audit.record({
      action: 'auth.lockout',
      resource: 'users',
      resourceId: user.publicId,
      userId: user.publicId,
      result: 'success',
      details: { lockSeconds },
    });
    throw locked(lockedUntil);
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
