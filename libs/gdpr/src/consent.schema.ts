import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import mongoose from 'mongoose';

/** The purposes a person may consent to; each defaults to no consent. */
export const CONSENT_PURPOSES = ['analytics', 'marketing', 'productUpdates'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export type ConsentChoices = Record<ConsentPurpose, boolean>;

/** One change of a person's consents, kept for as long as the account. */
export interface ConsentChange {
  at: Date;
  /** The channel of the change, such as `api`. */
  source: string;
  choices: ConsentChoices;
}

@Schema({ collection: 'consents', versionKey: false, strict: 'throw' })
export class Consent {
  @Prop({ type: String, required: true, unique: true })
  userId!: string;

  @Prop({ type: mongoose.Schema.Types.Mixed, required: true })
  choices!: ConsentChoices;

  @Prop({ type: Date, required: true })
  updatedAt!: Date;

  @Prop({ type: [mongoose.Schema.Types.Mixed], default: [] })
  history!: ConsentChange[];
}

export const ConsentSchema = SchemaFactory.createForClass(Consent);
