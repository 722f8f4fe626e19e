import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import {
  ExpiringMembers,
  type ExpiringSet,
  isDuplicateKeyError,
  SharedState,
  sharedStateUnavailable,
} from '@codexflow/core';

import { Revocation } from '../schemas/revocation.schema.js';

/** How often each replica reads revocations written by the others: the bound on staleness. */
export const REVOCATION_SYNC_INTERVAL_MS = 2_000;
/** Overlap of each read, so entries stamped by a replica whose clock lags are still seen. */
const CLOCK_SKEW_ALLOWANCE_MS = 10_000;

/**
 * Revoked sessions and access token ids, checked in memory so a request
 * costs no round trip. Revocations made here apply at once. The database
 * keeps them durably and each replica reads it every
 * REVOCATION_SYNC_INTERVAL_MS; with REDIS_URL set they also go through a
 * shared set in Redis, which brings them to every replica within
 * milliseconds. While that set cannot be kept in step (Redis is down), every
 * check fails closed with 503: a revoked token is never accepted because a
 * revocation could not arrive.
 */
@Injectable()
export class RevocationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RevocationService.name);
  private readonly revoked = new ExpiringMembers();
  private readSince = new Date(0);
  private timer?: NodeJS.Timeout;
  private readonly shared: ExpiringSet;

  constructor(
    @InjectModel(Revocation.name) private readonly revocations: Model<Revocation>,
    private readonly state: SharedState,
  ) {
    this.shared = state.expiringSet('revocations');
    this.shared.onChange((key, expiresAtMs) => {
      // Revocations are never lifted, so only additions arrive here.
      if (expiresAtMs !== null) {
        this.revoked.extend(key, expiresAtMs);
      }
    });
  }

  async onModuleInit(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((error: unknown) => {
        // NOTE: while reads fail, revocations from other replicas are not seen here.
        this.logger.error(
          { err: error },
          'reading revocations failed; retrying at the next interval',
        );
      });
    }, REVOCATION_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Throws 503 when revocations from other replicas may be missing here. */
  isRevoked(tokenId: string, sessionId: string): boolean {
    if (!this.shared.synced) {
      throw sharedStateUnavailable();
    }
    const now = Date.now();
    return (
      this.revoked.has(`token:${tokenId}`, now) || this.revoked.has(`session:${sessionId}`, now)
    );
  }

  /** Revokes every access token of the session; `until` is when the last of them expires. */
  revokeSession(sessionId: string, until: Date): Promise<void> {
    return this.add('session', sessionId, until);
  }

  revokeToken(tokenId: string, until: Date): Promise<void> {
    return this.add('token', tokenId, until);
  }

  private async add(kind: Revocation['kind'], subjectId: string, expiresAt: Date): Promise<void> {
    const key = `${kind}:${subjectId}`;
    this.revoked.extend(key, expiresAt.getTime());
    const entry = { $set: { expiresAt, createdAt: new Date() } };
    try {
      await this.revocations.updateOne({ kind, subjectId }, entry, { upsert: true }).exec();
    } catch (error) {
      // A concurrent revocation of the same subject inserted the entry first; refresh it instead.
      if (!isDuplicateKeyError(error)) {
        throw error;
      }
      await this.revocations.updateOne({ kind, subjectId }, entry).exec();
    }
    try {
      await this.shared.add(key, expiresAt.getTime());
    } catch {
      // The database has the revocation, so replicas read it within the sync interval. The
      // caller learns that the immediate fan-out failed and may retry without harm.
      throw sharedStateUnavailable();
    }
  }

  private async sync(): Promise<void> {
    const startedAt = new Date();
    const since = new Date(this.readSince.getTime() - CLOCK_SKEW_ALLOWANCE_MS);
    const entries = await this.revocations
      .find({
        createdAt: mongoose.trusted({ $gte: since }),
        expiresAt: mongoose.trusted({ $gt: startedAt }),
      })
      .lean<Revocation[]>()
      .exec();

    for (const entry of entries) {
      this.revoked.extend(`${entry.kind}:${entry.subjectId}`, entry.expiresAt.getTime());
    }
    this.readSince = startedAt;
    // Entries of tokens that are never presented again would otherwise stay until a restart.
    this.revoked.prune(startedAt.getTime());
  }
}
