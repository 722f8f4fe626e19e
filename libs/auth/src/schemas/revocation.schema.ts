import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A revoked session or access token id. Every replica polls these into
 * memory; an entry matters only until the last access token it covers has
 * expired (`expiresAt`).
 */
@Schema({ collection: 'revocations', versionKey: false, strict: 'throw' })
export class Revocation {
  @Prop({ type: String, required: true, enum: ['session', 'token'] })
  kind!: 'session' | 'token';

  @Prop({ type: String, required: true })
  subjectId!: string;

  @Prop({ type: Date, required: true, index: true })
  createdAt!: Date;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const RevocationSchema = SchemaFactory.createForClass(Revocation);
RevocationSchema.index({ kind: 1, subjectId: 1 }, { unique: true });
