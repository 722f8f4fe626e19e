import { Injectable } from '@nestjs/common';

/** The person a purge erases, read before any eraser runs. */
export interface ErasureSubject {
  userId: string;
  email: string;
  name: string;
  /** Stable stand-in for the user id in content that stays, such as tasks in shared projects. */
  pseudonym: string;
}

/**
 * One kind of personal data a module stores. Every module that stores data
 * about a person registers a section, so an export or a purge covers it
 * without a central list to forget.
 */
export interface PersonalDataSection {
  /** Key of the section in exports, such as `sessions`. */
  name: string;
  /** A description of the section's contents, for the reader of an export. */
  description: string;
  export(userId: string): Promise<unknown>;
  /** Deletes or pseudonymises the subject's data; must be safe to run again after a crash. */
  erase(subject: ErasureSubject): Promise<void>;
  /**
   * Erasers run in ascending order. The account itself goes last, so a purge
   * that stops halfway still finds the account and finishes on the next run.
   */
  eraseOrder?: number;
}

/** A retention rule: removes what has outlived its period as of `now`; returns how many records. */
export interface RetentionTask {
  name: string;
  apply(now: Date): Promise<number>;
}

/** Collects the personal-data sections and retention rules that modules register at start. */
@Injectable()
export class PersonalDataRegistry {
  private readonly registered: PersonalDataSection[] = [];
  private readonly rules: RetentionTask[] = [];

  register(section: PersonalDataSection): void {
    if (this.registered.some((existing) => existing.name === section.name)) {
      throw new Error(`personal-data section "${section.name}" is registered twice`);
    }
    this.registered.push(section);
  }

  registerRetention(task: RetentionTask): void {
    this.rules.push(task);
  }

  /** Returns the sections in erasure order. */
  sections(): PersonalDataSection[] {
    return [...this.registered].sort((a, b) => (a.eraseOrder ?? 0) - (b.eraseOrder ?? 0));
  }

  retentionTasks(): RetentionTask[] {
    return [...this.rules];
  }
}
