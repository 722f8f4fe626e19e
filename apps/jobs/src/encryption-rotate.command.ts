import { MfaFactorsService } from '@codexflow/auth';

import type { JobCommand } from './commands.js';
import { withJobContext } from './job-context.js';

/** Re-encrypts restricted fields under the newest ENCRYPTION_KEYS key, so older keys can be retired. */
export const rotateEncryptionCommand: JobCommand = {
  name: 'encryption:rotate',
  description: 'Re-encrypt every restricted field under the first (newest) ENCRYPTION_KEYS key',
  run: () =>
    withJobContext(async (context) => {
      const changed = await context.get(MfaFactorsService).reencryptAll();
      process.stdout.write(`re-encrypted ${changed} records under the newest key\n`);
      return 0;
    }),
};
