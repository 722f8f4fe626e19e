import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const ONE_TIME_TOKEN_PURPOSES = [
  'verify-email',
  'change-email',
  'reset-password',
  'invitation',
] as const;
export type OneTimeTokenPurpose = (typeof ONE_TIME_TOKEN_PURPOSES)[number];

/** A mailed link token, stored as its SHA-256 hash and usable once before it expires. */
@Schema({ collection: 'one_time_tokens', versionKey: false, strict: 'throw' })
export class OneTimeToken {
  @Prop({ type: String, required: true, unique: true })
  tokenHash!: string;

  @Prop({ type: String, required: true, enum: ONE_TIME_TOKEN_PURPOSES })
  purpose!: OneTimeTokenPurpose;

  @Prop({ type: String, required: true, index: true })
  userId!: string;

  /** The new address, for `change-email` tokens. */
  @Prop({ type: String, default: null })
  email!: string | null;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;

  @Prop({ type: Date, default: null })
  usedAt!: Date | null;
}

export const OneTimeTokenSchema = SchemaFactory.createForClass(OneTimeToken);
