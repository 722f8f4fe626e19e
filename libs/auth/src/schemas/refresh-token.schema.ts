import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One issued refresh token, stored as its SHA-256 hash. A token is used once:
 * presenting it after `rotatedAt` (past the grace period) is reuse.
 */
@Schema({ collection: 'refresh_tokens', versionKey: false, strict: 'throw' })
export class RefreshToken {
  @Prop({ type: String, required: true, unique: true })
  tokenHash!: string;

  @Prop({ type: String, required: true, index: true })
  sessionId!: string;

  @Prop({ type: Date, required: true })
  issuedAt!: Date;

  /** Idle expiry: the token must be used before this. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;

  @Prop({ type: Date, default: null })
  rotatedAt!: Date | null;
}

export const RefreshTokenSchema = SchemaFactory.createForClass(RefreshToken);
