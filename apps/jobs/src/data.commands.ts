import { AuditTrail } from '@codexflow/audit';
import { APP_CONFIG, type AppConfig, PersonalDataRegistry } from '@codexflow/core';
import { GdprService } from '@codexflow/gdpr';

import type { JobCommand } from './commands.js';
import { withJobContext } from './job-context.js';

const EXIT_BROKEN = 1;
const EXIT_USAGE = 2;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Walks the audit chain; exits 1 and names the first broken event when it does not verify. */
export const verifyAuditCommand: JobCommand = {
  name: 'audit:verify',
  description: 'Check the audit hash chain and report the first event that no longer matches',
  run: () =>
    withJobContext(async (context) => {
      const result = await context.get(AuditTrail).verify();
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return result.valid ? 0 : EXIT_BROKEN;
    }),
};

/** Reads `--now=<ISO time>`, which lets an operator or a test run a job as of another day. */
export function parseNow(args: string[]): Date | undefined {
  const option = args.find((arg) => arg.startsWith('--now='));
  if (option === undefined) {
    return new Date();
  }
  const now = new Date(option.slice('--now='.length));
  return Number.isNaN(now.getTime()) ? undefined : now;
}

const NOW_USAGE = '--now must be an ISO 8601 time, such as --now=2027-01-31T00:00:00Z\n';

/** Removes what has outlived its retention period: audit events and every registered rule. */
export const applyRetentionCommand: JobCommand = {
  name: 'retention:apply',
  description:
    'Remove audit events, expired records and old outbox files (options: --now=<ISO time>)',
  run: (args) => {
    const now = parseNow(args);
    if (now === undefined) {
      process.stderr.write(NOW_USAGE);
      return Promise.resolve(EXIT_USAGE);
    }
    return withJobContext(async (context) => {
      const config = context.get<AppConfig>(APP_CONFIG);
      const cutoff = new Date(now.getTime() - config.auditRetentionDays * DAY_MS);
      const removed: Record<string, number> = {
        'audit events': await context.get(AuditTrail).removeBefore(cutoff),
      };
      for (const task of context.get(PersonalDataRegistry).retentionTasks()) {
        removed[task.name] = await task.apply(now);
      }
      process.stdout.write(`${JSON.stringify({ now: now.toISOString(), removed })}\n`);
      return 0;
    });
  },
};

/** Purges the accounts whose erasure grace period has ended; meant for a daily CronJob. */
export const purgeErasedCommand: JobCommand = {
  name: 'gdpr:purge',
  description: 'Erase the data of accounts whose purge time has come (options: --now=<ISO time>)',
  run: (args) => {
    const now = parseNow(args);
    if (now === undefined) {
      process.stderr.write(NOW_USAGE);
      return Promise.resolve(EXIT_USAGE);
    }
    return withJobContext(async (context) => {
      const report = await context.get(GdprService).purgeDue(now);
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return report.failed === 0 ? 0 : EXIT_BROKEN;
    });
  },
};
