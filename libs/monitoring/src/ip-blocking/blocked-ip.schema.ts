import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A client address the monitor blocked. Every replica polls the unexpired
 * entries into memory; an entry past `expiresAt` no longer blocks and is
 * deleted by the next poll.
 */
@Schema({ collection: 'blocked_ips', versionKey: false, strict: 'throw' })
export class BlockedIp {
  /** The address in the form canonicalIp returns. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  reason!: string;

  @Prop({ type: Date, required: true })
  blockedAt!: Date;

  @Prop({ type: Date, required: true, index: true })
  expiresAt!: Date;
}

export const BlockedIpSchema = SchemaFactory.createForClass(BlockedIp);
