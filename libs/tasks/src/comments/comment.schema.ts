import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'comments', timestamps: true, versionKey: false, strict: 'throw' })
export class Comment {
  @Prop({ type: String, required: true, unique: true })
  publicId!: string;

  @Prop({ type: String, required: true })
  taskId!: string;

  @Prop({ type: String, required: true })
  projectId!: string;

  @Prop({ type: String, required: true })
  authorId!: string;

  @Prop({ type: String, required: true })
  body!: string;

  /** usr_ ids named in the body that belong to members of the project. */
  @Prop({ type: [String], default: [] })
  mentions!: string[];

  createdAt!: Date;
  updatedAt!: Date;
}

export const CommentSchema = SchemaFactory.createForClass(Comment);
CommentSchema.index({ taskId: 1, createdAt: 1, publicId: 1 });
