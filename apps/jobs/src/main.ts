import 'reflect-metadata';

import { applyRetentionCommand, purgeErasedCommand, verifyAuditCommand } from './data.commands.js';
import { type JobCommand, formatHelp } from './commands.js';
import { buildEmbeddedDatabaseCommand } from './embedded-database-build.command.js';
import { rotateEncryptionCommand } from './encryption-rotate.command.js';
import { seedDemoCommand } from './demo-seed.command.js';

const EXIT_USAGE = 2;

const commands: JobCommand[] = [
  buildEmbeddedDatabaseCommand,
  rotateEncryptionCommand,
  verifyAuditCommand,
  applyRetentionCommand,
  purgeErasedCommand,
  seedDemoCommand,
];

const helpCommand: JobCommand = {
  name: 'help',
  description: 'List the available commands',
  run: () => {
    process.stdout.write(formatHelp(commands));
    return Promise.resolve(0);
  },
};
commands.unshift(helpCommand);

/** Runs the command named by the first argument and exits with its status. */
async function main(argv: string[]): Promise<number> {
  const [given = 'help', ...args] = argv;
  const name = given === '--help' || given === '-h' ? 'help' : given;
  const command = commands.find((candidate) => candidate.name === name);

  if (command === undefined) {
    process.stderr.write(`Unknown command "${name}".\n\n${formatHelp(commands)}`);
    return EXIT_USAGE;
  }
  return command.run(args);
}

process.exitCode = await main(process.argv.slice(2));
