import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

import { ROLES, type Role } from '@codexflow/access';

/**
 * `invited` accounts have no password until the invitation is accepted;
 * `erasing` accounts are signed out and wait for the purge job.
 */
export const USER_STATUSES = ['invited', 'active', 'disabled', 'erasing'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

@Schema({ collection: 'users', timestamps: true, versionKey: false, strict: 'throw' })
export class User {
  @Prop({ type: String, required: true, unique: true })
  publicId!: string;

  /** Lower-cased, so lookups and the unique index ignore case. */
  @Prop({ type: String, required: true, unique: true })
  email!: string;

  /** A new address waiting for its verification link; it replaces `email` once verified. */
  @Prop({ type: String, default: null })
  pendingEmail!: string | null;

  @Prop({ type: Boolean, required: true, default: false })
  emailVerified!: boolean;

  @Prop({ type: String, required: true })
  name!: string;

  @Prop({ type: String, required: true, enum: ROLES, default: 'viewer' })
  role!: Role;

  @Prop({ type: String, default: null })
  passwordHash!: string | null;

  @Prop({ type: Date, default: null })
  passwordChangedAt!: Date | null;

  @Prop({ type: String, required: true, enum: USER_STATUSES, default: 'active' })
  status!: UserStatus;

  /** Whether a second factor is active; the auth module keeps it in step with its factors. */
  @Prop({ type: Boolean, required: true, default: false })
  mfaEnabled!: boolean;

  @Prop({ type: Date, default: null })
  purgeAfter!: Date | null;

  createdAt!: Date;
  updatedAt!: Date;
}

export type UserDocument = HydratedDocument<User>;
export const UserSchema = SchemaFactory.createForClass(User);
UserSchema.index({ role: 1, status: 1 });
