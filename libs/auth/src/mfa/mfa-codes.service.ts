import { createHmac, randomInt } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { OnceClaims, type SecretKey, SecretKeyRing } from '@codexflow/core';
import { MailService, mfaCode, SmsService } from '@codexflow/mail';

import { type CodeMethod, type CodePurpose, MfaCode } from './mfa.schemas.js';

export const MFA_CODE_MINUTES = 10;

/** The recipients of a code: the account e-mail and the verified phone number. */
export interface CodeDestination {
  email: string;
  phone: string | null;
}

/**
 * Mailed and texted 6-digit codes. A code space of a million is small, so
 * codes are stored as HMACs under a server key rather than plain hashes, and
 * each is usable once within MFA_CODE_MINUTES.
 */
@Injectable()
export class MfaCodesService {
  constructor(
    @InjectModel(MfaCode.name) private readonly codes: Model<MfaCode>,
    private readonly keyRing: SecretKeyRing,
    private readonly mail: MailService,
    private readonly sms: SmsService,
    private readonly claims: OnceClaims,
  ) {}

  /** Replaces any outstanding code of the same purpose and sends a new one. */
  async send(
    userId: string,
    method: CodeMethod,
    purpose: CodePurpose,
    destination: CodeDestination,
  ): Promise<void> {
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    await this.codes
      .updateMany({ userId, method, purpose, usedAt: null }, { $set: { usedAt: new Date() } })
      .exec();
    await this.codes.create({
      userId,
      method,
      purpose,
      codeHash: this.hash(userId, code),
      expiresAt: new Date(Date.now() + MFA_CODE_MINUTES * 60_000),
    });

    if (method === 'email') {
      this.mail.send({
        to: destination.email,
        template: 'mfa-code',
        ...mfaCode(code, purpose, MFA_CODE_MINUTES),
      });
    } else if (destination.phone !== null) {
      this.sms.send({
        to: destination.phone,
        template: 'mfa-code',
        text: `CodexFlow code: ${code}. Valid ${MFA_CODE_MINUTES} minutes. Do not share it.`,
      });
    }
  }

  /** Uses up a matching unexpired code; false when none matches. */
  async consume(
    userId: string,
    method: CodeMethod,
    purpose: CodePurpose,
    code: string,
  ): Promise<boolean> {
    const usable = await this.codes
      .findOne({
        userId,
        method,
        purpose,
        codeHash: mongoose.trusted({ $in: this.hashes(userId, code) }),
        usedAt: null,
        expiresAt: mongoose.trusted({ $gt: new Date() }),
      })
      .exec();
    if (usable === null || !(await this.claims.claim(`mfa-code:${String(usable._id)}`))) {
      return false;
    }
    await this.codes.updateOne({ _id: usable._id }, { $set: { usedAt: new Date() } }).exec();
    return true;
  }

  async revokeOutstanding(userId: string, purpose: CodePurpose): Promise<void> {
    await this.codes
      .updateMany({ userId, purpose, usedAt: null }, { $set: { usedAt: new Date() } })
      .exec();
  }

  /** Hashes under the newest key; `hashes` covers every key, so codes sent before a rotation still match. */
  private hash(userId: string, code: string): string {
    return this.hashWith(this.keyRing.active, userId, code);
  }

  private hashes(userId: string, code: string): string[] {
    return this.keyRing.keys.map((key) => this.hashWith(key, userId, code));
  }

  private hashWith(key: SecretKey, userId: string, code: string): string {
    return createHmac('sha256', this.keyRing.deriveKey(key, 'mfa-code'))
      .update(`${userId}:${code}`)
      .digest('hex');
  }
}
