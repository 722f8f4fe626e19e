import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import {
  APP_CONFIG,
  type AppConfig,
  generatePublicId,
  OnceClaims,
  RateLimits,
  ProblemException,
  AuditRecorder,
} from '@codexflow/core';

import { RefreshToken } from '../schemas/refresh-token.schema.js';
import { Session } from '../schemas/session.schema.js';
import { generateSecretToken, hashSecretToken } from '../tokens/secret-tokens.js';
import type { ClientContext } from './client-context.js';
import { RevocationService } from './revocation.service.js';

const MAX_LISTED_SESSIONS = 100;

export interface IssuedRefreshToken {
  session: Session;
  refreshToken: string;
}

function refreshRejected(
  detail = 'The refresh token is invalid, expired or revoked',
): ProblemException {
  return new ProblemException(HttpStatus.UNAUTHORIZED, detail);
}

/**
 * Sessions and their refresh token families. Refresh tokens rotate on every
 * use; presenting a rotated one again revokes the whole session.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    @InjectModel(Session.name) private readonly sessions: Model<Session>,
    @InjectModel(RefreshToken.name) private readonly refreshTokens: Model<RefreshToken>,
    private readonly revocations: RevocationService,
    private readonly claims: OnceClaims,
    private readonly rateLimits: RateLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditRecorder,
  ) {}

  async create(userId: string, amr: string[], client: ClientContext): Promise<IssuedRefreshToken> {
    const now = new Date();
    const session = await this.sessions.create({
      publicId: generatePublicId('ses'),
      userId,
      amr,
      ipAddress: client.ipAddress,
      userAgent: client.userAgent,
      lastUsedAt: now,
      absoluteExpiresAt: new Date(
        now.getTime() + this.config.sessions.refreshAbsoluteSeconds * 1000,
      ),
    });

    const refreshToken = await this.issueRefreshToken(session.toObject(), now);
    return { session: session.toObject(), refreshToken };
  }

  /**
   * Exchanges a refresh token for a new one in the same session. Reuse of a
   * rotated token after the grace period revokes the session.
   */
  async rotate(presented: string, client: ClientContext): Promise<IssuedRefreshToken> {
    const now = new Date();
    const tokenHash = hashSecretToken(presented);
    const stored = await this.refreshTokens.findOne({ tokenHash }).lean<RefreshToken>().exec();
    if (stored === null) {
      throw refreshRejected();
    }
    await this.countRefresh(stored.sessionId);

    if (stored.rotatedAt !== null || !(await this.claims.claim(`refresh-token:${tokenHash}`))) {
      await this.handleReuse(stored, now);
    }
    await this.refreshTokens.updateOne({ tokenHash }, { $set: { rotatedAt: now } }).exec();

    const session = await this.findLive(stored.sessionId, now);
    if (session === null || stored.expiresAt <= now) {
      throw refreshRejected();
    }

    await this.sessions
      .updateOne(
        { publicId: session.publicId },
        { $set: { lastUsedAt: now, ipAddress: client.ipAddress, userAgent: client.userAgent } },
      )
      .exec();
    const refreshToken = await this.issueRefreshToken(session, now);
    await this.audit.record({
      action: 'auth.refresh',
      resource: 'sessions',
      resourceId: session.publicId,
      userId: session.userId,
      result: 'success',
    });
    return { session, refreshToken };
  }

  /** Counts the refresh against the per-account limit of credential routes. */
  private async countRefresh(sessionId: string): Promise<void> {
    const owner = await this.sessions
      .findOne({ publicId: sessionId }, { userId: 1 })
      .lean<Pick<Session, 'userId'>>()
      .exec();
    if (owner !== null) {
      await this.rateLimits.consumeAccount('refresh', owner.userId);
    }
  }

  async findLive(sessionId: string, now = new Date()): Promise<Session | null> {
    return this.sessions
      .findOne({
        publicId: sessionId,
        revokedAt: null,
        absoluteExpiresAt: mongoose.trusted({ $gt: now }),
      })
      .lean<Session>()
      .exec();
  }

  listLive(userId: string): Promise<Session[]> {
    return this.sessions
      .find({ userId, revokedAt: null, absoluteExpiresAt: mongoose.trusted({ $gt: new Date() }) })
      .sort({ lastUsedAt: -1 })
      .limit(MAX_LISTED_SESSIONS)
      .lean<Session[]>()
      .exec();
  }

  /** Revokes a session: its refresh tokens stop working and its access tokens are rejected. */
  async revoke(sessionId: string, reason: string): Promise<void> {
    const revoked = await this.sessions
      .findOneAndUpdate(
        { publicId: sessionId, revokedAt: null },
        { $set: { revokedAt: new Date(), revokedReason: reason } },
      )
      .lean<Session>()
      .exec();
    await this.revocations.revokeSession(sessionId, this.accessTokenHorizon());
    if (revoked !== null) {
      await this.audit.record({
        action: reason === 'logout' ? 'auth.logout' : 'auth.session_revoked',
        resource: 'sessions',
        resourceId: sessionId,
        userId: revoked.userId,
        result: 'success',
        details: { reason },
      });
    }
  }

  async revokeAllForUser(userId: string, reason: string, keepSessionId?: string): Promise<void> {
    const live = await this.sessions
      .find({ userId, revokedAt: null })
      .select({ publicId: 1 })
      .lean<Array<Pick<Session, 'publicId'>>>()
      .exec();

    for (const session of live) {
      if (session.publicId !== keepSessionId) {
        await this.revoke(session.publicId, reason);
      }
    }
  }

  /** When every access token issued now will have expired. */
  accessTokenHorizon(): Date {
    return new Date(Date.now() + (this.config.jwt.accessTokenTtlSeconds + 60) * 1000);
  }

  private async handleReuse(stored: RefreshToken, now: Date): Promise<never> {
    // A token claimed by a concurrent request has no rotatedAt yet: it was rotated just now.
    const rotatedAt = stored.rotatedAt?.getTime() ?? now.getTime();
    if (now.getTime() - rotatedAt < this.config.sessions.reuseGraceSeconds * 1000) {
      throw refreshRejected('The refresh token was just rotated; retry with the newest one');
    }

    await this.revoke(stored.sessionId, 'refresh-token-reuse');
    this.logger.warn(
      { event: 'refresh-token-reuse', sessionId: stored.sessionId },
      'security event: a rotated refresh token was presented again; the session is revoked',
    );
    const session = await this.sessions
      .findOne({ publicId: stored.sessionId })
      .lean<Session>()
      .exec();
    await this.audit.record({
      action: 'auth.refresh_reuse',
      resource: 'sessions',
      resourceId: stored.sessionId,
      userId: session?.userId ?? null,
      result: 'failure',
    });
    throw refreshRejected();
  }

  private async issueRefreshToken(session: Session, now: Date): Promise<string> {
    const refreshToken = generateSecretToken();
    const idleExpiry = now.getTime() + this.config.sessions.refreshIdleSeconds * 1000;
    await this.refreshTokens.create({
      tokenHash: hashSecretToken(refreshToken),
      sessionId: session.publicId,
      issuedAt: now,
      expiresAt: new Date(Math.min(idleExpiry, session.absoluteExpiresAt.getTime())),
    });
    return refreshToken;
  }
}
