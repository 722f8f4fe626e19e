import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import {
  AuditRecorder,
  KeyedMutex,
  OnceClaims,
  ProblemException,
  RateLimits,
} from '@codexflow/core';
import { MailService, recoveryCodeUsed } from '@codexflow/mail';
import { type User, UsersService } from '@codexflow/users';

import { generateSecretToken, hashSecretToken } from '../tokens/secret-tokens.js';
import { MfaCodesService } from './mfa-codes.service.js';
import { isSixDigits, type MfaRequiredDto, type MfaVerifyDto } from './mfa.dto.js';
import { MfaFactorsService } from './mfa-factors.service.js';
import { type CodeMethod, MfaLogin } from './mfa.schemas.js';
import { RecoveryCodesService } from './recovery-codes.service.js';

const MFA_LOGIN_TTL_MS = 5 * 60_000;
const MAX_FAILED_ATTEMPTS = 5;

function loginExpired(): ProblemException {
  return new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'The mfaToken is invalid, expired or used up; sign in with your password again',
  );
}

/** The second step of a login for accounts with MFA. */
@Injectable()
export class MfaLoginService {
  private readonly logger = new Logger(MfaLoginService.name);
  private readonly attempts = new KeyedMutex();

  constructor(
    @InjectModel(MfaLogin.name) private readonly logins: Model<MfaLogin>,
    private readonly factors: MfaFactorsService,
    private readonly codes: MfaCodesService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly users: UsersService,
    private readonly mail: MailService,
    private readonly claims: OnceClaims,
    private readonly rateLimits: RateLimits,
    private readonly audit: AuditRecorder,
  ) {}

  /** Returns the methods with which the user can finish signing in; empty when MFA is off. */
  async methodsFor(userId: string): Promise<string[]> {
    const methods: string[] = await this.factors.activeMethods(userId);
    if (methods.length > 0 && (await this.recoveryCodes.hasUnused(userId))) {
      methods.push('recovery');
    }
    return methods;
  }

  async start(user: User, methods: string[]): Promise<MfaRequiredDto> {
    const mfaToken = generateSecretToken();
    await this.logins.create({
      tokenHash: hashSecretToken(mfaToken),
      userId: user.publicId,
      expiresAt: new Date(Date.now() + MFA_LOGIN_TTL_MS),
    });
    return { mfaRequired: true, mfaToken, methods };
  }

  async challenge(mfaToken: string, method: CodeMethod): Promise<void> {
    const login = await this.findLive(mfaToken);
    const user = await this.users.findById(login.userId);
    const methods = await this.factors.activeMethods(login.userId);
    if (user === null || !methods.includes(method)) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        `No active ${method} factor for this account`,
      );
    }
    await this.codes.send(user.publicId, method, 'login', {
      email: user.email,
      phone: await this.factors.phoneOf(user.publicId),
    });
  }

  /** Checks the second factor and returns the user whose login it completes. */
  async verify(request: MfaVerifyDto): Promise<User> {
    if (request.method !== 'recovery' && !isSixDigits(request.code)) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, 'code must be 6 digits', 'about:blank', [
        { field: 'code', message: 'code must be 6 digits' },
      ]);
    }
    // Attempts on one login run one at a time, so parallel guesses cannot pass the attempt limit.
    const tokenHash = hashSecretToken(request.mfaToken);
    return this.attempts.runExclusive(tokenHash, () => this.verifyOnce(request));
  }

  private async verifyOnce(request: MfaVerifyDto): Promise<User> {
    const login = await this.findLive(request.mfaToken);
    await this.rateLimits.consumeAccount('mfa_verify', login.userId);

    if (!(await this.checkFactor(login.userId, request.method, request.code))) {
      await this.logins
        .updateOne({ tokenHash: login.tokenHash }, { $inc: { failedAttempts: 1 } })
        .exec();
      this.logger.warn(
        { event: 'mfa-failure', userId: login.userId, method: request.method },
        'wrong MFA code',
      );
      await this.audit.record({
        action: 'auth.mfa',
        resource: 'users',
        resourceId: login.userId,
        userId: login.userId,
        result: 'failure',
        details: { method: request.method },
      });
      throw new ProblemException(HttpStatus.UNAUTHORIZED, 'The code is wrong or expired');
    }

    if (!(await this.claims.claim(`mfa-login:${login.tokenHash}`))) {
      throw loginExpired();
    }
    await this.logins
      .updateOne({ tokenHash: login.tokenHash }, { $set: { completedAt: new Date() } })
      .exec();
    const user = await this.users.findById(login.userId);
    if (user?.status !== 'active') {
      throw loginExpired();
    }
    this.logger.log(
      { event: 'mfa-success', userId: user.publicId, method: request.method },
      'MFA passed',
    );
    await this.audit.record({
      action: 'auth.mfa',
      resource: 'users',
      resourceId: user.publicId,
      userId: user.publicId,
      result: 'success',
      details: { method: request.method },
    });
    return user;
  }

  private async checkFactor(
    userId: string,
    method: MfaVerifyDto['method'],
    code: string,
  ): Promise<boolean> {
    if (method === 'totp') {
      return this.factors.verifyTotp(userId, code);
    }
    if (method !== 'recovery') {
      return this.codes.consume(userId, method, 'login', code);
    }

    const remaining = await this.recoveryCodes.use(userId, code);
    if (remaining === null) {
      return false;
    }
    const user = await this.users.findById(userId);
    if (user !== null) {
      this.mail.send({
        to: user.email,
        template: 'recovery-code-used',
        ...recoveryCodeUsed(remaining),
      });
    }
    this.logger.warn(
      { event: 'recovery-code-used', userId, remaining },
      'security event: recovery code used',
    );
    await this.audit.record({
      action: 'auth.recovery_code_used',
      resource: 'users',
      resourceId: userId,
      userId,
      result: 'success',
      details: { remaining },
    });
    return true;
  }

  private async findLive(mfaToken: string): Promise<MfaLogin> {
    const login = await this.logins
      .findOne({
        tokenHash: hashSecretToken(mfaToken),
        completedAt: null,
        expiresAt: mongoose.trusted({ $gt: new Date() }),
        failedAttempts: mongoose.trusted({ $lt: MAX_FAILED_ATTEMPTS }),
      })
      .lean<MfaLogin>()
      .exec();
    if (login === null) {
      throw loginExpired();
    }
    return login;
  }
}
