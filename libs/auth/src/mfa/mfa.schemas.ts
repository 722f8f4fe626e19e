import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const MFA_METHODS = ['totp', 'email', 'sms'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];
export type CodeMethod = Exclude<MfaMethod, 'totp'>;

/**
 * One second factor of a user. The TOTP secret and the phone number are
 * restricted fields, stored only as FieldCipher ciphertext.
 */
@Schema({ collection: 'mfa_factors', timestamps: true, versionKey: false, strict: 'throw' })
export class MfaFactor {
  @Prop({ type: String, required: true })
  userId!: string;

  @Prop({ type: String, required: true, enum: MFA_METHODS })
  method!: MfaMethod;

  @Prop({ type: String, required: true, enum: ['pending', 'active'] })
  status!: 'pending' | 'active';

  @Prop({ type: String, default: null })
  encryptedSecret!: string | null;

  @Prop({ type: String, default: null })
  encryptedPhone!: string | null;

  /** The last accepted TOTP time step (0 before the first); a code of this step or earlier is a replay. */
  @Prop({ type: Number, default: 0 })
  lastTotpStep!: number;

  createdAt!: Date;
  updatedAt!: Date;
}

export const MfaFactorSchema = SchemaFactory.createForClass(MfaFactor);
MfaFactorSchema.index({ userId: 1, method: 1 }, { unique: true });

/** One single-use recovery code, stored as a hash. */
@Schema({ collection: 'recovery_codes', versionKey: false, strict: 'throw' })
export class RecoveryCode {
  @Prop({ type: String, required: true, index: true })
  userId!: string;

  @Prop({ type: String, required: true, unique: true })
  codeHash!: string;

  @Prop({ type: Date, default: null })
  usedAt!: Date | null;
}

export const RecoveryCodeSchema = SchemaFactory.createForClass(RecoveryCode);

export const CODE_PURPOSES = ['enroll', 'login', 'step-up'] as const;
export type CodePurpose = (typeof CODE_PURPOSES)[number];

/** A mailed or texted 6-digit code, stored as a keyed hash, usable once before it expires. */
@Schema({ collection: 'mfa_codes', versionKey: false, strict: 'throw' })
export class MfaCode {
  @Prop({ type: String, required: true, index: true })
  userId!: string;

  @Prop({ type: String, required: true, enum: ['email', 'sms'] })
  method!: CodeMethod;

  @Prop({ type: String, required: true, enum: CODE_PURPOSES })
  purpose!: CodePurpose;

  @Prop({ type: String, required: true })
  codeHash!: string;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;

  @Prop({ type: Date, default: null })
  usedAt!: Date | null;
}

export const MfaCodeSchema = SchemaFactory.createForClass(MfaCode);

/** A login that passed the password and waits for its second factor. */
@Schema({ collection: 'mfa_logins', versionKey: false, strict: 'throw' })
export class MfaLogin {
  @Prop({ type: String, required: true, unique: true })
  tokenHash!: string;

  @Prop({ type: String, required: true })
  userId!: string;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;

  @Prop({ type: Number, required: true, default: 0 })
  failedAttempts!: number;

  @Prop({ type: Date, default: null })
  completedAt!: Date | null;
}

export const MfaLoginSchema = SchemaFactory.createForClass(MfaLogin);
