import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';

import { APP_CONFIG, type AppConfig, PersonalDataRegistry } from '@codexflow/core';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Registers the outbox folder, where mail and texts land when no SMTP server
 * or SMS webhook is configured: a purge deletes the files addressed to the
 * person, and retention deletes files older than OUTBOX_RETENTION_DAYS.
 */
@Injectable()
export class OutboxPersonalData implements OnModuleInit {
  private readonly folder: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: PersonalDataRegistry,
  ) {
    this.folder = join(config.dataDir, 'outbox');
  }

  onModuleInit(): void {
    this.registry.register({
      name: 'outbox',
      description: 'Mails waiting in the local outbox folder (development and tests only)',
      export: async () => Promise.resolve(undefined),
      erase: async ({ email }) => {
        for (const file of await this.files()) {
          const content = await readFile(file, 'utf8').catch(() => '');
          if (content.toLowerCase().includes(email.toLowerCase())) {
            await unlink(file).catch(() => undefined);
          }
        }
      },
    });
    this.registry.registerRetention({
      name: 'outbox files',
      apply: async (now) => {
        const cutoff = now.getTime() - this.config.outboxRetentionDays * DAY_MS;
        let removed = 0;
        for (const file of await this.files()) {
          const modified = await stat(file).catch(() => undefined);
          if (modified !== undefined && modified.mtimeMs < cutoff) {
            await unlink(file).catch(() => undefined);
            removed += 1;
          }
        }
        return removed;
      },
    });
  }

  private async files(): Promise<string[]> {
    const names = await readdir(this.folder).catch(() => [] as string[]);
    return names.filter((name) => !name.startsWith('.')).map((name) => join(this.folder, name));
  }
}
