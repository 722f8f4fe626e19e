import type { Role } from '@codexflow/access';

/** Output of demo:seed: the accounts with their passwords, and the projects with their ids. */
export interface DemoSeedReport {
  users: Array<{ email: string; password: string; role: Role; id: string }>;
  projects: Array<{ id: string; key: string; name: string; taskCount: number }>;
}

/** Lays out the report as two tables for a person at a terminal. */
export function formatSummary(report: DemoSeedReport, elapsedSeconds: string): string {
  const table = (rows: string[][]): string[] => {
    const widths = rows[0]?.map((_, column) =>
      Math.max(...rows.map((row) => (row[column] ?? '').length)),
    );
    return rows.map((row) =>
      `  ${row.map((cell, column) => cell.padEnd(widths?.[column] ?? 0)).join('  ')}`.trimEnd(),
    );
  };
  return [
    `Demo data created in ${elapsedSeconds} s.`,
    '',
    'Users (the admin must enrol a second factor before most admin routes respond):',
    ...table([
      ['role', 'e-mail', 'password', 'id'],
      ...report.users.map((user) => [user.role, user.email, user.password, user.id]),
    ]),
    '',
    'Projects:',
    ...table([
      ['id', 'key', 'name', 'tasks'],
      ...report.projects.map((project) => [
        project.id,
        project.key,
        project.name,
        String(project.taskCount),
      ]),
    ]),
    '',
  ].join('\n');
}
