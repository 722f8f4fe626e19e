import { HttpStatus, Injectable } from '@nestjs/common';

import type { Principal } from '@codexflow/access';
import {
  AuditRecorder,
  KeyedMutex,
  noteRateLimited,
  ProblemException,
  SharedState,
  failClosed,
  type WindowCount,
} from '@codexflow/core';
import { UsersService } from '@codexflow/users';

import { MfaCodesService } from './mfa-codes.service.js';
import { MfaFactorsService } from './mfa-factors.service.js';
import type { CodeMethod } from './mfa.schemas.js';

/** Wrong step-up codes tolerated per user in FAILURE_WINDOW_MS before further tries get 429. */
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 15 * 60_000;

function mfaRequired(detail: string): ProblemException {
  return new ProblemException(HttpStatus.FORBIDDEN, detail);
}

/**
 * Step-up for sensitive operations: a caller with MFA must send a fresh code
 * (TOTP, or one from /v1/auth/mfa/step-up/challenge) with the request.
 */
@Injectable()
export class StepUpService {
  private readonly attempts = new KeyedMutex();

  constructor(
    private readonly users: UsersService,
    private readonly factors: MfaFactorsService,
    private readonly codes: MfaCodesService,
    private readonly state: SharedState,
    private readonly audit: AuditRecorder,
  ) {}

  require(principal: Principal, mfaCode: string | undefined): Promise<void> {
    return this.attempts.runExclusive(principal.userId, () => this.check(principal, mfaCode));
  }

  private async check(principal: Principal, mfaCode: string | undefined): Promise<void> {
    const methods = await this.factors.activeMethods(principal.userId);
    if (methods.length === 0) {
      return;
    }
    if (mfaCode === undefined) {
      throw mfaRequired('MFA is required for this operation: send a current code as mfaCode');
    }
    // Each try is counted before the code is checked, in the shared state, so parallel tries on
    // several replicas cannot get past MAX_FAILURES; a right code clears the count.
    const attempt = await this.countAttempt(principal.userId);

    if (await this.matches(principal.userId, methods, mfaCode)) {
      await failClosed(() => this.state.reset(failuresKey(principal.userId)));
      return;
    }
    await this.recordFailure(principal.userId, attempt.count);
    throw mfaRequired('MFA is required for this operation: the mfaCode is wrong, used or expired');
  }

  private async matches(userId: string, methods: string[], mfaCode: string): Promise<boolean> {
    if (methods.includes('totp') && (await this.factors.verifyTotp(userId, mfaCode))) {
      return true;
    }
    const codeMethods = methods.filter(
      (candidate): candidate is CodeMethod => candidate !== 'totp',
    );
    for (const method of codeMethods) {
      if (await this.codes.consume(userId, method, 'step-up', mfaCode)) {
        return true;
      }
    }
    return false;
  }

  private async countAttempt(userId: string): Promise<WindowCount> {
    const attempt = await failClosed(() =>
      this.state.take(failuresKey(userId), FAILURE_WINDOW_MS, MAX_FAILURES),
    );
    if (attempt.allowed) {
      return attempt;
    }
    noteRateLimited('step_up');
    const retryAfter = String(Math.max(1, Math.ceil(attempt.resetMs / 1000)));
    throw new ProblemException(
      HttpStatus.TOO_MANY_REQUESTS,
      `Too many wrong MFA codes; try again in ${retryAfter} seconds`,
      'about:blank',
      undefined,
      { 'Retry-After': retryAfter },
    );
  }

  /** Records a wrong code; at the limit, outstanding step-up codes stop working as well. */
  private async recordFailure(userId: string, failures: number): Promise<void> {
    await this.audit.record({
      action: 'auth.mfa',
      resource: 'users',
      resourceId: userId,
      userId,
      result: 'failure',
      details: { method: 'step-up' },
    });
    if (failures >= MAX_FAILURES) {
      await this.codes.revokeOutstanding(userId, 'step-up');
    }
  }

  async challenge(principal: Principal, method: CodeMethod): Promise<void> {
    const methods = await this.factors.activeMethods(principal.userId);
    if (!methods.includes(method)) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        `No active ${method} factor; enrol one first`,
      );
    }
    const user = await this.users.findById(principal.userId);
    if (user === null) {
      throw new ProblemException(HttpStatus.UNAUTHORIZED, 'The account is no longer active');
    }
    await this.codes.send(principal.userId, method, 'step-up', {
      email: user.email,
      phone: await this.factors.phoneOf(principal.userId),
    });
  }
}

const failuresKey = (userId: string) => `step-up:failures:${userId}`;
