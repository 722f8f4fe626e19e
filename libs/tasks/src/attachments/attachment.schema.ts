import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/** A file attached to a task; its bytes live in the GridFS bucket `attachments`. */
@Schema({ collection: 'attachments', timestamps: true, versionKey: false, strict: 'throw' })
export class Attachment {
  @Prop({ type: String, required: true, unique: true })
  publicId!: string;

  @Prop({ type: String, required: true })
  taskId!: string;

  @Prop({ type: String, required: true })
  projectId!: string;

  @Prop({ type: String, required: true })
  uploadedBy!: string;

  /** The vetted name, with an extension that matches `contentType`. */
  @Prop({ type: String, required: true })
  fileName!: string;

  /** Decided from the content's magic bytes, never from the client. */
  @Prop({ type: String, required: true })
  contentType!: string;

  @Prop({ type: Number, required: true })
  size!: number;

  /** Hex SHA-256 of the content; also the download's ETag. */
  @Prop({ type: String, required: true })
  sha256!: string;

  @Prop({ type: Types.ObjectId, required: true })
  fileId!: Types.ObjectId;

  createdAt!: Date;
  updatedAt!: Date;
}

export const AttachmentSchema = SchemaFactory.createForClass(Attachment);
AttachmentSchema.index({ taskId: 1, createdAt: 1, publicId: 1 });
