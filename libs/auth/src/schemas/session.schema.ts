import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One sign-in: the family of refresh tokens that descends from one login.
 * Its public id is the `sid` claim of every access token it issues.
 */
@Schema({ collection: 'sessions', timestamps: true, versionKey: false, strict: 'throw' })
export class Session {
  @Prop({ type: String, required: true, unique: true })
  publicId!: string;

  @Prop({ type: String, required: true, index: true })
  userId!: string;

  @Prop({ type: [String], required: true })
  amr!: string[];

  @Prop({ type: String, default: null })
  ipAddress!: string | null;

  @Prop({ type: String, default: null })
  userAgent!: string | null;

  @Prop({ type: Date, required: true })
  lastUsedAt!: Date;

  /** Refresh stops working after this, however often the session is used. */
  @Prop({ type: Date, required: true })
  absoluteExpiresAt!: Date;

  @Prop({ type: Date, default: null })
  revokedAt!: Date | null;

  @Prop({ type: String, default: null })
  revokedReason!: string | null;

  createdAt!: Date;
  updatedAt!: Date;
}

export const SessionSchema = SchemaFactory.createForClass(Session);
