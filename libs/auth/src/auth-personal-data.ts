import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { PersonalDataRegistry } from '@codexflow/core';

import { MfaCode, MfaFactor, MfaLogin, RecoveryCode } from './mfa/mfa.schemas.js';
import { OneTimeToken } from './schemas/one-time-token.schema.js';
import { RefreshToken } from './schemas/refresh-token.schema.js';
import { Revocation } from './schemas/revocation.schema.js';
import { Session } from './schemas/session.schema.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const before = (time: Date) => mongoose.trusted({ $lt: time });

/**
 * Registers what the auth library stores about a person (sessions, MFA
 * factors, single-use tokens and codes) for export and purge, and the
 * retention of records past their lifetime.
 */
@Injectable()
export class AuthPersonalData implements OnModuleInit {
  constructor(
    @InjectModel(Session.name) private readonly sessions: Model<Session>,
    @InjectModel(RefreshToken.name) private readonly refreshTokens: Model<RefreshToken>,
    @InjectModel(OneTimeToken.name) private readonly oneTimeTokens: Model<OneTimeToken>,
    @InjectModel(Revocation.name) private readonly revocations: Model<Revocation>,
    @InjectModel(MfaFactor.name) private readonly factors: Model<MfaFactor>,
    @InjectModel(RecoveryCode.name) private readonly recoveryCodes: Model<RecoveryCode>,
    @InjectModel(MfaCode.name) private readonly codes: Model<MfaCode>,
    @InjectModel(MfaLogin.name) private readonly logins: Model<MfaLogin>,
    private readonly registry: PersonalDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'sessions',
      description: 'Sign-in sessions with their address, browser, times and how they ended',
      export: async (userId) =>
        (await this.sessions.find({ userId }).sort({ createdAt: 1 }).lean<Session[]>().exec()).map(
          (session) => ({
            id: session.publicId,
            createdAt: session.createdAt,
            lastUsedAt: session.lastUsedAt,
            ipAddress: session.ipAddress,
            userAgent: session.userAgent,
            methods: session.amr,
            revokedAt: session.revokedAt,
            revokedReason: session.revokedReason,
          }),
        ),
      erase: async ({ userId }) => {
        const ids = (
          await this.sessions.find({ userId }).select({ publicId: 1 }).lean<Session[]>().exec()
        ).map((session) => session.publicId);
        await this.refreshTokens.deleteMany({ sessionId: mongoose.trusted({ $in: ids }) }).exec();
        await this.sessions.deleteMany({ userId }).exec();
      },
    });
    this.registry.register({
      name: 'mfa',
      description:
        'Second factors (method and dates only; secrets and phone numbers are never exported)',
      export: async (userId) =>
        (await this.factors.find({ userId }).lean<MfaFactor[]>().exec()).map((factor) => ({
          method: factor.method,
          status: factor.status,
          createdAt: factor.createdAt,
        })),
      erase: async ({ userId }) => {
        await this.factors.deleteMany({ userId }).exec();
        await this.recoveryCodes.deleteMany({ userId }).exec();
        await this.codes.deleteMany({ userId }).exec();
        await this.logins.deleteMany({ userId }).exec();
      },
    });
    this.registry.register({
      name: 'pendingLinks',
      description:
        'Outstanding verification, reset and invitation links (their purpose and expiry)',
      export: async (userId) =>
        (await this.oneTimeTokens.find({ userId, usedAt: null }).lean<OneTimeToken[]>().exec()).map(
          (token) => ({ purpose: token.purpose, expiresAt: token.expiresAt }),
        ),
      erase: async ({ userId }) => {
        await this.oneTimeTokens.deleteMany({ userId }).exec();
      },
    });

    this.registry.registerRetention({
      name: 'ended sessions and their refresh tokens',
      apply: async (now) => {
        const horizon = new Date(now.getTime() - DAY_MS);
        const ended = await this.sessions
          .find({
            $or: [
              { absoluteExpiresAt: before(horizon) },
              { revokedAt: mongoose.trusted({ $ne: null, $lt: horizon }) },
            ],
          })
          .select({ publicId: 1 })
          .lean<Session[]>()
          .exec();
        const ids = ended.map((session) => session.publicId);
        await this.refreshTokens.deleteMany({ sessionId: mongoose.trusted({ $in: ids }) }).exec();
        const expiredTokens = await this.refreshTokens
          .deleteMany({ expiresAt: before(horizon) })
          .exec();
        const sessions = await this.sessions
          .deleteMany({ publicId: mongoose.trusted({ $in: ids }) })
          .exec();
        return sessions.deletedCount + expiredTokens.deletedCount;
      },
    });
    this.registry.registerRetention({
      name: 'expired links, codes, MFA sign-ins and revocations',
      apply: async (now) => {
        const expired = { expiresAt: before(now) };
        const counts = await Promise.all([
          this.oneTimeTokens.deleteMany(expired).exec(),
          this.codes.deleteMany(expired).exec(),
          this.logins.deleteMany(expired).exec(),
          this.revocations.deleteMany(expired).exec(),
        ]);
        return counts.reduce((sum, result) => sum + result.deletedCount, 0);
      },
    });
  }
}
