import { EmbeddedDatabaseUnavailableError, prepareEmbeddedDatabase } from '@codexflow/core';

import type { JobCommand } from './commands.js';

/** Builds the FerretDB launcher ahead of time, so the first start or test run does not wait for Go. */
export const buildEmbeddedDatabaseCommand: JobCommand = {
  name: 'embedded-database:build',
  description: 'Build the embedded development database (FerretDB) unless MONGODB_URI is set',
  run: () => {
    if (process.env.MONGODB_URI || process.env.MONGODB_URI_FILE) {
      process.stdout.write('MONGODB_URI is set, so the embedded database is not needed\n');
      return Promise.resolve(0);
    }
    try {
      const binary = prepareEmbeddedDatabase((message) => process.stdout.write(`${message}\n`));
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
