import { createHmac, timingSafeEqual } from 'node:crypto';

import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import {
  AuditFeed,
  type AuditedEvent,
  type AuditInput,
  AuditRecorder,
  canonicalJson,
  currentRequestContext,
  generatePublicId,
  isDuplicateKeyError,
  KeyedMutex,
  maskLogValue,
  ProblemException,
  type RecordOptions,
  SecretKeyRing,
} from '@codexflow/core';

import {
  checkEvent,
  type ChainBreak,
  eventHash,
  GENESIS_HASH,
  newSalt,
  personalDigest,
  type PersonalFields,
  sealedContent,
} from './audit-chain.js';
import { AuditEvent } from './audit-event.schema.js';
import { AuditCheckpoint } from './audit-checkpoint.schema.js';

const CHECKPOINT_ID = 'retention';
const CHECKPOINT_PURPOSE = 'audit-checkpoint';
const SEAL_PURPOSE = 'audit-pseudonym-seal';
const MAX_APPEND_ATTEMPTS = 100;
const VERIFY_BATCH_SIZE = 500;

/** The outcome of walking the chain. */
export interface ChainVerification {
  valid: boolean;
  checked: number;
  firstBrokenEventId?: string;
  reason?: ChainBreak | 'retention checkpoint signature is invalid';
}

interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * The tamper-evident audit trail. Every event takes the next position in one
 * chain and stores the hash of its predecessor. Positions are claimed through
 * the unique `_id`, so concurrent writers on several replicas serialise on
 * the database and never fork the chain. Events are never updated or deleted
 * here except by retention, which first signs a checkpoint of the last
 * removed event so the rest still verifies.
 */
@Injectable()
export class AuditTrail extends AuditRecorder {
  private readonly logger = new Logger(AuditTrail.name);
  private readonly appendLock = new KeyedMutex();
  private head?: ChainHead;
  private failures = 0;

  constructor(
    @InjectModel(AuditEvent.name) private readonly events: Model<AuditEvent>,
    @InjectModel(AuditCheckpoint.name) private readonly checkpoints: Model<AuditCheckpoint>,
    private readonly feed: AuditFeed,
    private readonly keys: SecretKeyRing,
  ) {
    super();
  }

  /** Write failures since start, for metrics. */
  get writeFailures(): number {
    return this.failures;
  }

  async record(input: AuditInput, options: RecordOptions = {}): Promise<void> {
    const context = currentRequestContext();
    const event: AuditedEvent = {
      id: generatePublicId('evt'),
      timestamp: new Date(),
      action: input.action,
      resource: input.resource,
      resourceId: input.resourceId ?? null,
      result: input.result,
      userId: input.userId ?? context?.userId ?? null,
      ipAddress: context?.ipAddress ?? null,
      userAgent: context?.userAgent ?? null,
      requestId: context?.requestId ?? null,
      // The shared masking list removes anything that looks like a secret, whatever a caller passed.
      details: maskLogValue<AuditedEvent['details']>(input.details ?? {}),
    };
    try {
      await this.append(event);
    } catch (error) {
      this.failures += 1;
      this.feed.publishWriteFailure();
      this.logger.error(
        { err: error, requestId: event.requestId, action: event.action },
        'audit event could not be written',
      );
      if (options.required) {
        throw new ProblemException(
          HttpStatus.SERVICE_UNAVAILABLE,
          'The action was not carried out because the audit trail is unavailable; retry later',
          'about:blank',
          undefined,
          { 'Retry-After': '5' },
        );
      }
      return;
    }
    if (context !== undefined) {
      context.audited = true;
    }
    this.feed.publish(event);
  }

  /** Walks the whole chain from the retention checkpoint and reports the first broken event. */
  // NOTE: deleting the newest events leaves a shorter chain that still verifies. Only a copy of
  // an earlier result (`checked`, the last hash) kept outside the database reveals it.
  async verify(): Promise<ChainVerification> {
    const checkpoint = await this.checkpoints
      .findById(CHECKPOINT_ID)
      .lean<AuditCheckpoint>()
      .exec();
    let expectedSeq = 1;
    let expectedPrevHash = GENESIS_HASH;
    if (checkpoint !== null) {
      if (!this.checkpointSignatureHolds(checkpoint)) {
        return { valid: false, checked: 0, reason: 'retention checkpoint signature is invalid' };
      }
      expectedSeq = checkpoint.seq + 1;
      expectedPrevHash = checkpoint.hash;
    }

    let checked = 0;
    // Events at or before the checkpoint are left over from a retention run that stopped halfway.
    const cursor = this.events
      .find(checkpoint === null ? {} : { _id: mongoose.trusted({ $gt: checkpoint.seq }) })
      .sort({ _id: 1 })
      .batchSize(VERIFY_BATCH_SIZE)
      .lean<AuditEvent>()
      .cursor();
    for await (const event of cursor) {
      checked += 1;
      const reason = checkEvent(event, expectedSeq, expectedPrevHash, (sealed) =>
        this.sealHolds(sealed),
      );
      if (reason !== undefined) {
        await cursor.close();
        return { valid: false, checked, firstBrokenEventId: event.publicId, reason };
      }
      expectedSeq += 1;
      expectedPrevHash = event.hash;
    }
    return { valid: true, checked };
  }

  /**
   * Removes the events recorded before `cutoff`. A signed checkpoint of the
   * last removed event is written first, so a run that stops halfway leaves a
   * chain that still verifies, and the next run finishes the removal.
   */
  async removeBefore(cutoff: Date): Promise<number> {
    let last: AuditEvent | undefined;
    const cursor = this.events.find().sort({ _id: 1 }).lean<AuditEvent>().cursor();
    for await (const event of cursor) {
      // Replicas stamp times a little out of order, so removal stops at the first newer event.
      if (event.timestamp >= cutoff) {
        break;
      }
      last = event;
    }
    await cursor.close();
    if (last === undefined) {
      return 0;
    }

    const existing = await this.checkpoints.findById(CHECKPOINT_ID).lean<AuditCheckpoint>().exec();
    if (existing === null || existing.seq < last._id) {
      const key = this.keys.active;
      const signed = { seq: last._id, hash: last.hash };
      await this.checkpoints
        .updateOne(
          { _id: CHECKPOINT_ID },
          {
            $set: {
              ...signed,
              keyId: key.id,
              signature: this.sign(signed, key.id),
              createdAt: new Date(),
            },
          },
          { upsert: true },
        )
        .exec();
    }
    const removed = await this.events
      .deleteMany({ _id: mongoose.trusted({ $lte: last._id }) })
      .exec();
    return removed.deletedCount;
  }

  private async append(event: AuditedEvent): Promise<AuditEvent> {
    // One append at a time per process; other replicas are kept apart by the unique _id.
    return this.appendLock.runExclusive('chain', async () => {
      let head = this.head ?? (await this.readHead());
      for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt += 1) {
        const document = this.link(event, head);
        try {
          await this.events.collection.insertOne(document as unknown as Record<string, unknown>);
          this.head = { seq: document._id, hash: document.hash };
          return document;
        } catch (error) {
          if (!isDuplicateKeyError(error)) {
            // The head may be stale after a failure the database did not report clearly.
            this.head = undefined;
            throw error;
          }
          const next = await this.headAfter(head);
          if (next.seq === head.seq) {
            // The collision was on another unique index, not on the position: retrying cannot help.
            throw error;
          }
          head = next;
        }
      }
      this.head = undefined;
      throw new Error(`no free audit position after ${MAX_APPEND_ATTEMPTS} attempts`);
    });
  }

  private link(event: AuditedEvent, head: ChainHead): AuditEvent {
    const salt = newSalt();
    const linked: Omit<AuditEvent, 'hash'> = {
      _id: head.seq + 1,
      publicId: event.id,
      timestamp: event.timestamp,
      action: event.action,
      resource: event.resource,
      resourceId: event.resourceId,
      result: event.result,
      userId: event.userId,
      ipAddress: event.ipAddress,
      userAgent: event.userAgent,
      requestId: event.requestId,
      details: event.details,
      personalDigest: personalDigest(event, salt),
      personalSalt: salt,
      pseudonymisedAt: null,
      pseudonymSeal: null,
      prevHash: head.hash,
    };
    return { ...linked, hash: eventHash(linked) };
  }

  /** Reads the newest event, or the retention checkpoint when every event was removed. */
  private async readHead(): Promise<ChainHead> {
    const newest = await this.events.findOne().sort({ _id: -1 }).lean<AuditEvent>().exec();
    if (newest !== null) {
      return { seq: newest._id, hash: newest.hash };
    }
    const checkpoint = await this.checkpoints
      .findById(CHECKPOINT_ID)
      .lean<AuditCheckpoint>()
      .exec();
    return checkpoint === null
      ? { seq: 0, hash: GENESIS_HASH }
      : { seq: checkpoint.seq, hash: checkpoint.hash };
  }

  /** Follows the chain past positions that another writer took since `head`. */
  private async headAfter(head: ChainHead): Promise<ChainHead> {
    let current = head;
    for (;;) {
      const next = await this.events
        .findById(current.seq + 1)
        .lean<AuditEvent>()
        .exec();
      if (next === null) {
        return current;
      }
      current = { seq: next._id, hash: next.hash };
    }
  }

  /** Returns the seal of an event's pseudonymised personal fields, under the newest key. */
  seal(event: Pick<AuditEvent, 'publicId'> & PersonalFields): string {
    const key = this.keys.active;
    return `${key.id}:${this.hmac(SEAL_PURPOSE, sealedContent(event), key.id)}`;
  }

  private sealHolds(event: AuditEvent): boolean {
    const [keyId = '', given = ''] = (event.pseudonymSeal ?? '').split(':');
    return this.hmacMatches(SEAL_PURPOSE, sealedContent(event), keyId, given);
  }

  private sign(content: { seq: number; hash: string }, keyId: string): string {
    return this.hmac(CHECKPOINT_PURPOSE, canonicalJson(content), keyId);
  }

  private checkpointSignatureHolds(checkpoint: AuditCheckpoint): boolean {
    const content = canonicalJson({ seq: checkpoint.seq, hash: checkpoint.hash });
    return this.hmacMatches(CHECKPOINT_PURPOSE, content, checkpoint.keyId, checkpoint.signature);
  }

  /** Returns the hex HMAC-SHA256 of `content` under the key ring's key `keyId`, derived for `purpose`. */
  private hmac(purpose: string, content: string, keyId: string): string {
    const key = this.keys.keys.find((candidate) => candidate.id === keyId);
    if (key === undefined) {
      throw new Error(`unknown key id ${keyId}`);
    }
    return createHmac('sha256', this.keys.deriveKey(key, purpose)).update(content).digest('hex');
  }

  /** Compares in constant time; an unknown key id never matches. */
  private hmacMatches(purpose: string, content: string, keyId: string, given: string): boolean {
    if (!this.keys.keys.some((key) => key.id === keyId)) {
      return false;
    }
    const expected = Buffer.from(this.hmac(purpose, content, keyId));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
