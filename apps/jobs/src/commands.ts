/** A one-shot job, run by name from a Kubernetes CronJob or a shell. */
export interface JobCommand {
  name: string;
  description: string;
  /** Returns the process exit status. */
  run(args: string[]): Promise<number>;
}

export function formatHelp(commands: readonly JobCommand[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map(
    (command) => `  ${command.name.padEnd(width)}  ${command.description}`,
  );
  return [
    'Usage: node dist/apps/jobs/src/main.js <command> [arguments]',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n');
}
