import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import mongoose from 'mongoose';

import type { AuditDetails, AuditResult } from '@codexflow/core';

/**
 * One link of the audit chain. `_id` is the event's position, 1, 2, 3…; a
 * unique `_id` lets only one writer take each position, across replicas.
 */
@Schema({ collection: 'audit_events', versionKey: false, strict: 'throw' })
export class AuditEvent {
  @Prop({ type: Number, required: true })
  _id!: number;

  @Prop({ type: String, required: true, unique: true })
  publicId!: string;

  @Prop({ type: Date, required: true })
  timestamp!: Date;

  @Prop({ type: String, required: true })
  action!: string;

  @Prop({ type: String, required: true })
  resource!: string;

  @Prop({ type: String, default: null })
  resourceId!: string | null;

  @Prop({ type: String, required: true, enum: ['success', 'failure'] })
  result!: AuditResult;

  @Prop({ type: String, default: null })
  userId!: string | null;

  @Prop({ type: String, default: null })
  ipAddress!: string | null;

  @Prop({ type: String, default: null })
  userAgent!: string | null;

  @Prop({ type: String, default: null })
  requestId!: string | null;

  @Prop({ type: mongoose.Schema.Types.Mixed, default: {} })
  details!: AuditDetails;

  /**
   * SHA-256 over a random salt and the personal fields (userId, resourceId,
   * ipAddress, userAgent). The chain covers this digest instead of the fields,
   * so erasure can replace them with pseudonyms and the chain still verifies.
   */
  @Prop({ type: String, required: true })
  personalDigest!: string;

  /** Dropped when the personal fields are pseudonymised, so the digest reveals nothing. */
  @Prop({ type: String, default: null })
  personalSalt!: string | null;

  @Prop({ type: Date, default: null })
  pseudonymisedAt!: Date | null;

  /**
   * `keyId:HMAC` over the id and the pseudonymised personal fields, written
   * by the purge with ENCRYPTION_KEYS, so fields changed afterwards are
   * detected although the salt is gone.
   */
  @Prop({ type: String, default: null })
  pseudonymSeal!: string | null;

  @Prop({ type: String, required: true })
  prevHash!: string;

  @Prop({ type: String, required: true })
  hash!: string;
}

export const AuditEventSchema = SchemaFactory.createForClass(AuditEvent);
AuditEventSchema.index({ userId: 1, _id: -1 });
AuditEventSchema.index({ action: 1, _id: -1 });
AuditEventSchema.index({ resource: 1, resourceId: 1, _id: -1 });
AuditEventSchema.index({ result: 1, _id: -1 });
AuditEventSchema.index({ timestamp: 1 });
