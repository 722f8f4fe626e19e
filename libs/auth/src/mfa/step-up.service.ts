import { HttpStatus, Injectable } from '@nestjs/common';

import type { Principal } from '@codexflow/access';
import { ProblemException } from '@codexflow/core';
import { UsersService } from '@codexflow/users';

import { MfaCodesService } from './mfa-codes.service.js';
import { MfaFactorsService } from './mfa-factors.service.js';
import type { CodeMethod } from './mfa.schemas.js';

function mfaRequired(detail: string): ProblemException {
  return new ProblemException(HttpStatus.FORBIDDEN, detail);
}

/**
 * Step-up for sensitive operations: a caller with MFA must send a fresh code
 * (TOTP, or one from /v1/auth/mfa/step-up/challenge) with the request.
 */
@Injectable()
export class StepUpService {
  constructor(
    private readonly users: UsersService,
    private readonly factors: MfaFactorsService,
    private readonly codes: MfaCodesService,
  ) {}

  async require(principal: Principal, mfaCode: string | undefined): Promise<void> {
    const methods = await this.factors.activeMethods(principal.userId);
    if (methods.length === 0) {
      return;
    }
    if (mfaCode === undefined) {
      throw mfaRequired('MFA is required for this operation: send a current code as mfaCode');
    }

    if (methods.includes('totp') && (await this.factors.verifyTotp(principal.userId, mfaCode))) {
      return;
    }
    for (const method of methods.filter(
      (candidate): candidate is CodeMethod => candidate !== 'totp',
    )) {
      if (await this.codes.consume(principal.userId, method, 'step-up', mfaCode)) {
        return;
      }
    }
    throw mfaRequired('MFA is required for this operation: the mfaCode is wrong, used or expired');
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
