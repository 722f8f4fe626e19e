import { randomInt } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { OnceClaims } from '@codexflow/core';

import { hashSecretToken } from '../tokens/secret-tokens.js';
import { RecoveryCode } from './mfa.schemas.js';

const RECOVERY_CODE_COUNT = 10;
/** Crockford-style alphabet without 0, 1, I, L, O and U, so codes survive being read aloud. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 3;
const GROUP_LENGTH = 4;

/** Uppercases and drops separators, so `abcd efgh-jkmn` matches `ABCD-EFGH-JKMN`. */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

function generateCode(): string {
  const groups: string[] = [];
  for (let group = 0; group < GROUPS; group += 1) {
    let text = '';
    for (let index = 0; index < GROUP_LENGTH; index += 1) {
      text += ALPHABET[randomInt(ALPHABET.length)];
    }
    groups.push(text);
  }
  return groups.join('-');
}

/** Ten single-use recovery codes per user (about 58 bits each), stored as hashes. */
@Injectable()
export class RecoveryCodesService {
  constructor(
    @InjectModel(RecoveryCode.name) private readonly codes: Model<RecoveryCode>,
    private readonly claims: OnceClaims,
  ) {}

  /** Replaces the user's codes with a new set and returns it in clear text, once. */
  async regenerate(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateCode);
    await this.codes.deleteMany({ userId }).exec();
    await this.codes.insertMany(
      codes.map((code) => ({ userId, codeHash: hashSecretToken(normaliseRecoveryCode(code)) })),
    );
    return codes;
  }

  async hasUnused(userId: string): Promise<boolean> {
    return (await this.codes.exists({ userId, usedAt: null }).exec()) !== null;
  }

  /** Uses up the code; returns how many remain, or null when it is unknown or used. */
  async use(userId: string, code: string): Promise<number | null> {
    const codeHash = hashSecretToken(normaliseRecoveryCode(code));
    const usable = await this.codes.findOne({ userId, codeHash, usedAt: null }).exec();
    if (usable === null || !(await this.claims.claim(`recovery-code:${codeHash}`))) {
      return null;
    }
    await this.codes.updateOne({ codeHash }, { $set: { usedAt: new Date() } }).exec();
    return this.codes.countDocuments({ userId, usedAt: null }).exec();
  }

  async removeAll(userId: string): Promise<void> {
    await this.codes.deleteMany({ userId }).exec();
  }
}
