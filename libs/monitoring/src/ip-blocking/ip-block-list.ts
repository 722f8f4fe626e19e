import {
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Request } from 'express';
import mongoose, { type Model } from 'mongoose';

import {
  APP_CONFIG,
  type AppConfig,
  AuditRecorder,
  CursorCodec,
  type ExpiringSet,
  HttpTraffic,
  isDuplicateKeyError,
  type Page,
  ProblemException,
  SharedState,
} from '@codexflow/core';

import { BlockedIp } from './blocked-ip.schema.js';
import { canonicalIp } from './ip-address.js';

/** How often each replica reads the blocks written by the others: the bound on staleness. */
export const BLOCK_SYNC_INTERVAL_MS = 3_000;
/** Probes come from the kubelet, whose address may share a network with blocked clients. */
const EXEMPT_PATH = /^\/health\//i;
const LIST_NAME = 'blocked-ips';

/** One block as the admin API returns it. */
export interface BlockedIpEntry {
  ip: string;
  reason: string;
  blockedAt: string;
  expiresAt: string;
}

/**
 * Client addresses blocked by the monitor. The database stores the list, so
 * blocks outlive a restart and reach every replica. Each replica keeps the
 * unexpired entries in memory for its request gate and reads them again every
 * BLOCK_SYNC_INTERVAL_MS. A block or unblock made here applies here at once;
 * with REDIS_URL set it also goes through a shared set in Redis, which brings
 * it to every other replica within milliseconds.
 */
@Injectable()
export class IpBlockList implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IpBlockList.name);
  /** Address → end of its block, in milliseconds since the epoch. */
  private blocked = new Map<string, number>();
  private syncing = false;
  /** Addresses blocked or unblocked here while a read was in flight, which that read must not undo. */
  private readonly changedWhileSyncing = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly shared: ExpiringSet;

  constructor(
    @InjectModel(BlockedIp.name) private readonly entries: Model<BlockedIp>,
    private readonly traffic: HttpTraffic,
    private readonly cursors: CursorCodec,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    state: SharedState,
    @Optional() private readonly audit?: AuditRecorder,
  ) {
    this.shared = state.expiringSet('blocked-ips');
    this.shared.onChange((ip, expiresAtMs) => this.setLocal(ip, expiresAtMs ?? undefined));
  }

  async onModuleInit(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((error: unknown) => {
        // NOTE: while reads fail, blocks and unblocks made by other replicas are not seen here.
        this.logger.error(
          { err: error },
          'reading blocked addresses failed; retrying at the next interval',
        );
      });
    }, BLOCK_SYNC_INTERVAL_MS);
    this.timer.unref();
    this.traffic.addGate((request) => this.rejectBlocked(request));
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Blocks `ip` for IP_BLOCK_SECONDS from now, or extends a block it already
   * has, and records `monitoring.ip_block` in the audit trail. Resolves with
   * the end of the block.
   */
  async block(ip: string, reason: string): Promise<Date> {
    const blockedAt = new Date();
    const expiresAt = new Date(blockedAt.getTime() + this.config.alerts.ipBlockSeconds * 1000);
    this.setLocal(ip, expiresAt.getTime());

    const entry = { $set: { reason, blockedAt, expiresAt } };
    try {
      await this.entries.updateOne({ _id: ip }, entry, { upsert: true }).exec();
    } catch (error) {
      // Another replica inserted the same address first; take over its entry.
      if (!isDuplicateKeyError(error)) {
        throw error;
      }
      await this.entries.updateOne({ _id: ip }, entry).exec();
    }
    await this.announce(() => this.shared.add(ip, expiresAt.getTime()));

    await this.audit
      ?.record({
        action: 'monitoring.ip_block',
        resource: 'ip',
        resourceId: ip,
        result: 'success',
        userId: null,
        details: { reason, expiresAt: expiresAt.toISOString() },
      })
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'recording an address block in the audit trail failed');
      });
    return expiresAt;
  }

  /**
   * Lifts the block of `ip` for the signed-in admin, after recording
   * `monitoring.ip_unblock`. A failed audit write stops it with 503. Resolves
   * false when the address is not blocked.
   */
  async unblock(ip: string): Promise<boolean> {
    const active = await this.entries
      .findOne({ _id: ip, expiresAt: mongoose.trusted({ $gt: new Date() }) })
      .lean<BlockedIp>()
      .exec();
    if (active === null) {
      return false;
    }

    await this.audit?.record(
      {
        action: 'monitoring.ip_unblock',
        resource: 'ip',
        resourceId: ip,
        result: 'success',
        details: { reason: active.reason },
      },
      { required: true },
    );
    await this.entries.deleteOne({ _id: ip }).exec();
    this.setLocal(ip, undefined);
    await this.announce(() => this.shared.delete(ip));
    return true;
  }

  /** Tells the other replicas at once; if Redis fails they still read the database within seconds. */
  private async announce(change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (error) {
      this.logger.warn(
        { err: error },
        'announcing a block list change through Redis failed; other replicas see it at their next read',
      );
    }
  }

  /** Lists the unexpired blocks, ordered by address. */
  async list(limit: number, cursor?: string): Promise<Page<BlockedIpEntry>> {
    const after = cursor === undefined ? undefined : this.cursors.decodeAfter(cursor, LIST_NAME);
    const filter: Record<string, unknown> = { expiresAt: mongoose.trusted({ $gt: new Date() }) };
    if (after !== undefined) {
      filter._id = mongoose.trusted({ $gt: after });
    }

    const rows = await this.entries
      .find(filter)
      .sort({ _id: 1 })
      .limit(limit + 1)
      .lean<BlockedIp[]>()
      .exec();
    const page = this.cursors.page(rows, limit, (last) => ({ after: last._id, list: LIST_NAME }));
    return { data: page.data.map(toEntry), nextCursor: page.nextCursor };
  }

  private rejectBlocked(request: Request): ProblemException | undefined {
    if (this.blocked.size === 0 || request.ip === undefined || EXEMPT_PATH.test(request.path)) {
      return undefined;
    }
    const remainingMs = this.remainingMs(canonicalIp(request.ip) ?? request.ip);
    if (remainingMs <= 0) {
      return undefined;
    }
    return new ProblemException(
      HttpStatus.FORBIDDEN,
      'Requests from this address are blocked after repeated authentication failures; try again later',
      'about:blank',
      undefined,
      { 'Retry-After': String(Math.ceil(remainingMs / 1000)) },
    );
  }

  private remainingMs(ip: string): number {
    const expiresAt = this.blocked.get(ip);
    if (expiresAt === undefined) {
      return 0;
    }
    const remaining = expiresAt - Date.now();
    if (remaining <= 0) {
      this.blocked.delete(ip);
    }
    return remaining;
  }

  private setLocal(ip: string, expiresAt: number | undefined): void {
    if (expiresAt === undefined) {
      this.blocked.delete(ip);
    } else {
      this.blocked.set(ip, expiresAt);
    }
    if (this.syncing) {
      this.changedWhileSyncing.add(ip);
    }
  }

  /** Replaces the in-memory list by the unexpired entries, then deletes the expired ones. */
  private async sync(): Promise<void> {
    if (this.syncing) {
      return;
    }
    this.syncing = true;
    try {
      const now = new Date();
      const rows = await this.entries
        .find({ expiresAt: mongoose.trusted({ $gt: now }) })
        .lean<BlockedIp[]>()
        .exec();

      const next = new Map(rows.map((row) => [row._id, row.expiresAt.getTime()]));
      for (const ip of this.changedWhileSyncing) {
        const local = this.blocked.get(ip);
        if (local === undefined) {
          next.delete(ip);
        } else {
          next.set(ip, local);
        }
      }
      this.blocked = next;

      await this.entries.deleteMany({ expiresAt: mongoose.trusted({ $lte: now }) }).exec();
    } finally {
      this.syncing = false;
      this.changedWhileSyncing.clear();
    }
  }
}

function toEntry(row: BlockedIp): BlockedIpEntry {
  return {
    ip: row._id,
    reason: row.reason,
    blockedAt: row.blockedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  };
}
