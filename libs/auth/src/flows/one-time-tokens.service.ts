import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { OnceClaims } from '@codexflow/core';

import { OneTimeToken, type OneTimeTokenPurpose } from '../schemas/one-time-token.schema.js';
import { generateSecretToken, hashSecretToken } from '../tokens/secret-tokens.js';

const HOUR_MS = 60 * 60 * 1000;

/** How long each kind of mailed link stays valid. */
export const ONE_TIME_TOKEN_LIFETIME_MS: Record<OneTimeTokenPurpose, number> = {
  'verify-email': 24 * HOUR_MS,
  'change-email': 24 * HOUR_MS,
  'reset-password': HOUR_MS,
  invitation: 7 * 24 * HOUR_MS,
};

/** Random single-use tokens for mailed links, stored only as hashes. */
@Injectable()
export class OneTimeTokensService {
  constructor(
    @InjectModel(OneTimeToken.name) private readonly tokens: Model<OneTimeToken>,
    private readonly claims: OnceClaims,
  ) {}

  /** Issues a token and returns it in clear text, for the link; only its hash is stored. */
  async issue(
    purpose: OneTimeTokenPurpose,
    userId: string,
    email: string | null = null,
  ): Promise<string> {
    const token = generateSecretToken();
    await this.tokens.create({
      tokenHash: hashSecretToken(token),
      purpose,
      userId,
      email,
      expiresAt: new Date(Date.now() + ONE_TIME_TOKEN_LIFETIME_MS[purpose]),
    });
    return token;
  }

  /** Finds a usable token without using it up, so a request can be validated first. */
  peek(token: string, purposes: OneTimeTokenPurpose[]): Promise<OneTimeToken | null> {
    return this.tokens.findOne(this.usableFilter(token, purposes)).lean<OneTimeToken>().exec();
  }

  /** Marks the token used and returns it, or null when it is unknown, used or expired. */
  async consume(token: string, purposes: OneTimeTokenPurpose[]): Promise<OneTimeToken | null> {
    const usable = await this.peek(token, purposes);
    if (usable === null || !(await this.claims.claim(`one-time-token:${usable.tokenHash}`))) {
      return null;
    }
    await this.tokens
      .updateOne({ tokenHash: usable.tokenHash }, { $set: { usedAt: new Date() } })
      .exec();
    return usable;
  }

  /** Invalidates the user's outstanding tokens of one purpose, before a new one is mailed. */
  async revokeOutstanding(userId: string, purpose: OneTimeTokenPurpose): Promise<void> {
    await this.tokens
      .updateMany({ userId, purpose, usedAt: null }, { $set: { usedAt: new Date() } })
      .exec();
  }

  private usableFilter(token: string, purposes: OneTimeTokenPurpose[]) {
    return {
      tokenHash: hashSecretToken(token),
      purpose: mongoose.trusted({ $in: purposes }),
      usedAt: null,
      expiresAt: mongoose.trusted({ $gt: new Date() }),
    };
  }
}
