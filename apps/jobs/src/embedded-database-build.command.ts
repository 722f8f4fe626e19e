import { EmbeddedDatabaseUnavailableError, prepareEmbeddedDatabase } from '@codexflow/core';

import type { JobCommand } from './commands.js';

/** Builds the FerretDB launcher ahead of time, so the first start or test run does not wait for Go. */
export const buildEmbeddedDatabaseCommand: JobCommand = {
  name: 'embedded-database:build',
  description: 'Build the embedded development database (FerretDB) if it is missing or outdated',
  run: () => {
    try {
      const binary = prepareEmbeddedDatabase();
      process.stdout.write(`embedded database ready: ${binary}\n`);
      return Promise.resolve(0);
    } catch (error) {
      if (error instanceof EmbeddedDatabaseUnavailableError) {
        process.stderr.write(`${error.message}\n`);
        return Promise.resolve(1);
      }
      throw error;
    }
  },
};
