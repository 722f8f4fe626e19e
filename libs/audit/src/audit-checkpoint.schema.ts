import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The last event retention removed, signed with the key ring, so verification
 * can start after it and a forged starting point is detected.
 */
@Schema({ collection: 'audit_checkpoints', versionKey: false, strict: 'throw' })
export class AuditCheckpoint {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Number, required: true })
  seq!: number;

  @Prop({ type: String, required: true })
  hash!: string;

  @Prop({ type: String, required: true })
  keyId!: string;

  @Prop({ type: String, required: true })
  signature!: string;

  @Prop({ type: Date, required: true })
  createdAt!: Date;
}

export const AuditCheckpointSchema = SchemaFactory.createForClass(AuditCheckpoint);
