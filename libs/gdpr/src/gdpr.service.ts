import { createHmac } from 'node:crypto';

import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { AuditRecorder, PersonalDataRegistry, SecretKeyRing } from '@codexflow/core';
import { type User, UsersService } from '@codexflow/users';

import { CONSENT_PURPOSES, Consent, type ConsentChoices } from './consent.schema.js';

/** Version of the export document; raised whenever a section changes shape. */
export const EXPORT_SCHEMA_VERSION = 1;

export interface PersonalDataExport {
  schemaVersion: number;
  generatedAt: string;
  subject: string;
  sections: Record<string, { description: string; data: unknown }>;
}

/** The result of one purge run. */
export interface PurgeReport {
  purged: number;
  failed: number;
}

/**
 * The data subject's rights: access and export through the registry every
 * module fills, consent with its history, and the purge of erased accounts.
 */
@Injectable()
export class GdprService implements OnModuleInit {
  private readonly logger = new Logger(GdprService.name);

  constructor(
    @InjectModel(Consent.name) private readonly consents: Model<Consent>,
    private readonly registry: PersonalDataRegistry,
    private readonly users: UsersService,
    private readonly audit: AuditRecorder,
    private readonly keys: SecretKeyRing,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'consents',
      description: 'Current consent choices and every change, with its time and source',
      export: async (userId) => {
        const consent = await this.consents.findOne({ userId }).lean<Consent>().exec();
        return { current: this.currentChoices(consent), history: consent?.history ?? [] };
      },
      erase: async ({ userId }) => {
        await this.consents.deleteOne({ userId }).exec();
      },
    });
  }

  /** Gathers every section of the registry into one document. */
  async exportFor(userId: string): Promise<PersonalDataExport> {
    const sections: PersonalDataExport['sections'] = {};
    for (const section of this.registry.sections()) {
      const data = await section.export(userId);
      if (data !== undefined) {
        sections[section.name] = { description: section.description, data };
      }
    }
    return {
      schemaVersion: EXPORT_SCHEMA_VERSION,
      generatedAt: new Date().toISOString(),
      subject: userId,
      sections,
    };
  }

  /**
   * Records that the caller took their data; exports count for the mass-export
   * detector, and an export is refused with 503 rather than made unrecorded.
   */
  async recordExport(userId: string, kind: 'view' | 'download'): Promise<void> {
    await this.audit.record(
      {
        action: 'gdpr.export',
        resource: 'users',
        resourceId: userId,
        result: 'success',
        details: { kind },
      },
      { required: true },
    );
  }

  async consentOf(userId: string): Promise<ConsentChoices> {
    return this.currentChoices(await this.consents.findOne({ userId }).lean<Consent>().exec());
  }

  /** Replaces the caller's choices and appends the change to the history. */
  async setConsent(userId: string, given: Partial<ConsentChoices>): Promise<ConsentChoices> {
    const choices = Object.fromEntries(
      CONSENT_PURPOSES.map((purpose) => [purpose, given[purpose] ?? false]),
    ) as ConsentChoices;
    const now = new Date();
    await this.audit.record({
      action: 'gdpr.consent_change',
      resource: 'consents',
      resourceId: userId,
      result: 'success',
      details: choices,
    });
    await this.consents
      .updateOne(
        { userId },
        {
          $set: { choices, updatedAt: now },
          $push: { history: { at: now, source: 'api', choices } },
        },
        { upsert: true },
      )
      .exec();
    return choices;
  }

  /** Returns a stable stand-in for a user id, keyed so it cannot be traced back without the key ring. */
  pseudonymFor(userId: string): string {
    const key = this.keys.deriveKey(this.keys.active, 'pseudonym');
    return `anon_${createHmac('sha256', key).update(userId).digest('hex').slice(0, 20)}`;
  }

  /**
   * Runs every eraser for the accounts whose purge time has come. The account
   * itself is deleted last, so an account whose purge stopped halfway is found
   * again by the next run, and every eraser is safe to run twice.
   */
  async purgeDue(now: Date): Promise<PurgeReport> {
    const due = await this.users.findDueForPurge(now);
    let purged = 0;
    let failed = 0;
    for (const user of due) {
      try {
        await this.purge(user);
        purged += 1;
      } catch (error) {
        failed += 1;
        this.logger.error(
          { err: error, userId: user.publicId },
          'purge failed; the next run retries it',
        );
      }
    }
    return { purged, failed };
  }

  private async purge(user: User): Promise<void> {
    const subject = {
      userId: user.publicId,
      email: user.email,
      name: user.name,
      pseudonym: this.pseudonymFor(user.publicId),
    };
    const sections = this.registry.sections();
    for (const section of sections) {
      await section.erase(subject);
    }
    await this.audit.record({
      action: 'gdpr.purge',
      resource: 'users',
      resourceId: subject.pseudonym,
      userId: null,
      result: 'success',
      details: { sections: sections.length },
    });
  }

  private currentChoices(consent: Consent | null): ConsentChoices {
    return Object.fromEntries(
      CONSENT_PURPOSES.map((purpose) => [purpose, consent?.choices[purpose] ?? false]),
    ) as ConsentChoices;
  }
}
