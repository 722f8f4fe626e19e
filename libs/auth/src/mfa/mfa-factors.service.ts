import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';
import { generateSecret, generateURI, verify } from 'otplib';

import { FieldCipher, OnceClaims, ProblemException } from '@codexflow/core';
import { type User, UsersService } from '@codexflow/users';

import { MfaCodesService } from './mfa-codes.service.js';
import { type CodeMethod, MfaFactor, type MfaMethod } from './mfa.schemas.js';
import { RecoveryCodesService } from './recovery-codes.service.js';

const TOTP_ISSUER = 'CodexFlow';
const TOTP_PERIOD_SECONDS = 30;
/** One step either side of the current one, for clock drift. */
const TOTP_TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
/** A pending enrolment younger than this blocks a new one; an older one is replaced. */
const PENDING_ENROLMENT_MS = 15 * 60_000;

export interface TotpEnrolment {
  secret: string;
  otpauthUrl: string;
}

function conflict(detail: string): ProblemException {
  return new ProblemException(HttpStatus.CONFLICT, detail);
}

/** Second factors: enrolment, activation, removal and TOTP checks with replay protection. */
@Injectable()
export class MfaFactorsService {
  private readonly logger = new Logger(MfaFactorsService.name);

  constructor(
    @InjectModel(MfaFactor.name) private readonly factors: Model<MfaFactor>,
    private readonly cipher: FieldCipher,
    private readonly codes: MfaCodesService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly users: UsersService,
    private readonly claims: OnceClaims,
  ) {}

  async activeMethods(userId: string): Promise<MfaMethod[]> {
    const active = await this.factors.find({ userId, status: 'active' }).lean<MfaFactor[]>().exec();
    return active.map((factor) => factor.method);
  }

  async enrollTotp(user: User): Promise<TotpEnrolment> {
    await this.clearStaleEnrolment(user.publicId, 'totp');
    const secret = generateSecret();
    await this.factors.create({
      userId: user.publicId,
      method: 'totp',
      status: 'pending',
      encryptedSecret: this.cipher.encrypt(secret, secretContext(user.publicId)),
    });
    return { secret, otpauthUrl: generateURI({ issuer: TOTP_ISSUER, label: user.email, secret }) };
  }

  async enrollByCode(user: User, method: CodeMethod, phone: string | null): Promise<void> {
    await this.clearStaleEnrolment(user.publicId, method);
    await this.factors.create({
      userId: user.publicId,
      method,
      status: 'pending',
      encryptedPhone:
        phone === null ? null : this.cipher.encrypt(phone, phoneContext(user.publicId)),
    });
    await this.codes.send(user.publicId, method, 'enroll', { email: user.email, phone });
  }

  /**
   * Activates a pending factor with a valid code and returns a new set of
   * recovery codes, which replaces any earlier set.
   */
  async activate(user: User, method: MfaMethod, code: string): Promise<string[]> {
    const pending = await this.factors
      .findOne({ userId: user.publicId, method, status: 'pending' })
      .lean<MfaFactor>()
      .exec();
    if (pending === null) {
      throw conflict(`No ${method} enrolment is pending; enrol first`);
    }

    const valid =
      method === 'totp'
        ? await this.checkTotp(pending, code)
        : await this.codes.consume(user.publicId, method, 'enroll', code);
    if (!valid) {
      throw new ProblemException(
        HttpStatus.BAD_REQUEST,
        'The code is wrong or expired',
        'about:blank',
        [{ field: 'code', message: 'code is wrong or expired' }],
      );
    }

    await this.factors
      .updateOne({ userId: user.publicId, method }, { $set: { status: 'active' } })
      .exec();
    await this.users.update(user.publicId, { mfaEnabled: true });
    this.logger.log(
      { event: 'mfa-enrolled', userId: user.publicId, method },
      'second factor activated',
    );

    return this.recoveryCodes.regenerate(user.publicId);
  }

  /** Rejects removing an admin's last factor, before any code is spent on the removal. */
  async assertRemovable(user: User, method: MfaMethod): Promise<void> {
    const active = await this.activeMethods(user.publicId);
    const remaining = active.filter((candidate) => candidate !== method);
    if (user.role === 'admin' && active.includes(method) && remaining.length === 0) {
      throw conflict('Admins must keep at least one second factor; enrol another one first');
    }
  }

  /** Removes a factor; an admin keeps at least one. */
  async remove(user: User, method: MfaMethod): Promise<void> {
    await this.assertRemovable(user, method);
    const remaining = (await this.activeMethods(user.publicId)).filter(
      (candidate) => candidate !== method,
    );

    await this.factors.deleteOne({ userId: user.publicId, method }).exec();
    if (remaining.length === 0) {
      await this.users.update(user.publicId, { mfaEnabled: false });
      await this.recoveryCodes.removeAll(user.publicId);
    }
    this.logger.log(
      { event: 'mfa-removed', userId: user.publicId, method },
      'second factor removed',
    );
  }

  /** Checks a code against the user's active TOTP factor; a code is accepted once. */
  async verifyTotp(userId: string, code: string): Promise<boolean> {
    const factor = await this.factors
      .findOne({ userId, method: 'totp', status: 'active' })
      .lean<MfaFactor>()
      .exec();
    return factor !== null && this.checkTotp(factor, code);
  }

  /** Returns the decrypted phone number of the user's SMS factor, pending or active. */
  async phoneOf(userId: string): Promise<string | null> {
    const factor = await this.factors.findOne({ userId, method: 'sms' }).lean<MfaFactor>().exec();
    if (factor === null || factor.encryptedPhone === null) {
      return null;
    }
    return this.cipher.decrypt(factor.encryptedPhone, phoneContext(userId));
  }

  /** Re-encrypts every restricted field not yet under the newest key; returns how many changed. */
  async reencryptAll(): Promise<number> {
    let changed = 0;
    for await (const factor of this.factors.find().lean<MfaFactor>().cursor()) {
      const updates: Partial<MfaFactor> = {};
      if (
        factor.encryptedSecret !== null &&
        this.cipher.needsReencryption(factor.encryptedSecret)
      ) {
        const context = secretContext(factor.userId);
        updates.encryptedSecret = this.cipher.encrypt(
          this.cipher.decrypt(factor.encryptedSecret, context),
          context,
        );
      }
      if (factor.encryptedPhone !== null && this.cipher.needsReencryption(factor.encryptedPhone)) {
        const context = phoneContext(factor.userId);
        updates.encryptedPhone = this.cipher.encrypt(
          this.cipher.decrypt(factor.encryptedPhone, context),
          context,
        );
      }
      if (Object.keys(updates).length > 0) {
        await this.factors
          .updateOne({ userId: factor.userId, method: factor.method }, { $set: updates })
          .exec();
        changed += 1;
      }
    }
    return changed;
  }

  private async checkTotp(factor: MfaFactor, code: string): Promise<boolean> {
    if (factor.encryptedSecret === null) {
      return false;
    }
    const secret = this.cipher.decrypt(factor.encryptedSecret, secretContext(factor.userId));
    const result = await verify({
      secret,
      token: code,
      epochTolerance: TOTP_TOLERANCE_SECONDS,
      afterTimeStep: factor.lastTotpStep,
    });
    if (!result.valid || !('timeStep' in result)) {
      return false;
    }

    // The claim makes a concurrent replay of the same code fail; lastTotpStep rejects older steps.
    if (!(await this.claims.claim(`totp:${factor.userId}:${result.timeStep}`))) {
      return false;
    }
    await this.factors
      .updateOne(
        {
          userId: factor.userId,
          method: 'totp',
          lastTotpStep: mongoose.trusted({ $lt: result.timeStep }),
        },
        { $set: { lastTotpStep: result.timeStep } },
      )
      .exec();
    return true;
  }

  private async clearStaleEnrolment(userId: string, method: MfaMethod): Promise<void> {
    const existing = await this.factors.findOne({ userId, method }).lean<MfaFactor>().exec();
    if (existing === null) {
      return;
    }
    if (existing.status === 'active') {
      throw conflict(`A ${method} factor is already active; remove it before enrolling again`);
    }
    if (Date.now() - existing.createdAt.getTime() < PENDING_ENROLMENT_MS) {
      throw conflict(`A ${method} enrolment is already pending; activate it with a code first`);
    }
    await this.factors.deleteOne({ userId, method, status: 'pending' }).exec();
  }
}

function secretContext(userId: string): string {
  return `mfa_factors.secret:${userId}`;
}

function phoneContext(userId: string): string {
  return `mfa_factors.phone:${userId}`;
}
