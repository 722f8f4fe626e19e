import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

@Schema({ collection: 'projects', timestamps: true, versionKey: false, strict: 'throw' })
export class Project {
  @Prop({ type: String, required: true, unique: true })
  publicId!: string;

  /** 2-10 upper-case letters, unique; prefixes task keys such as CFX-12. */
  @Prop({ type: String, required: true, unique: true })
  key!: string;

  @Prop({ type: String, required: true })
  name!: string;

  @Prop({ type: String, default: '' })
  description!: string;

  @Prop({ type: String, required: true })
  ownerId!: string;

  @Prop({ type: [String], required: true, default: [], index: true })
  memberIds!: string[];

  @Prop({ type: Boolean, required: true, default: false })
  archived!: boolean;

  createdAt!: Date;
  updatedAt!: Date;
}

export type ProjectDocument = HydratedDocument<Project>;
export const ProjectSchema = SchemaFactory.createForClass(Project);
