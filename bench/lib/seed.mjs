// Demo data from the jobs command `demo:seed --json`, which prints exactly one
// JSON object: {"users":[{email,password,role,id}],"projects":[{id,key,name,taskCount}]}.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

import { JOBS_ENTRY, REPO_ROOT } from './environment.mjs';
import { BenchFailure } from './load.mjs';

function runCommand(file, args, env, cores) {
  const [command, argv] = cores === null ? [file, args] : ['taskset', ['-c', cores, file, ...args]];
  const child = spawn(command, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}

function checkShape(data) {
  const problems = [];
  if (!Array.isArray(data?.users) || data.users.length === 0) {
    problems.push('"users" must be a non-empty array');
  } else if (!data.users.every((user) => ['email', 'password', 'role', 'id'].every((field) => typeof user[field] === 'string'))) {
    problems.push('every user needs string email, password, role and id');
  }
  if (!Array.isArray(data?.projects) || data.projects.length === 0) {
    problems.push('"projects" must be a non-empty array');
  } else if (!data.projects.every((project) => typeof project.id === 'string' && Number.isInteger(project.taskCount))) {
    problems.push('every project needs a string id and an integer taskCount');
  }
  return problems;
}

/**
 * Seeds the database through the built jobs command (or `command`, a list of
 * program and arguments) and returns the parsed output.
 */
export async function seed(context, command) {
  const [file, ...args] = command ?? [process.execPath, JOBS_ENTRY, 'demo:seed', '--json'];
  if (command === undefined && !existsSync(JOBS_ENTRY)) {
    throw new BenchFailure(`${JOBS_ENTRY} is missing; run "npm run build" first`);
  }
  const started = Date.now();
  // The command rejects NODE_ENV=production, because the demo passwords are
  // published. Every other variable is the service's.
  const env = { ...context.serviceEnv, NODE_ENV: 'development' };
  const result = await runCommand(file, args, env, context.machine.serverCores);
  const seconds = (Date.now() - started) / 1000;
  if (result.code !== 0) {
    throw new BenchFailure(`${[file, ...args].join(' ')} exited ${result.code}:\n${result.stderr.slice(-3000)}${result.stdout.slice(-1000)}`);
  }
  let data;
  try {
    data = JSON.parse(result.stdout);
  } catch {
    throw new BenchFailure(`the seed did not print one JSON object on stdout; it printed:\n${result.stdout.slice(0, 2000)}`);
  }
  const problems = checkShape(data);
  if (problems.length > 0) {
    throw new BenchFailure(`the seed output has the wrong shape: ${problems.join('; ')}`);
  }
  return { ...data, seconds };
}

/** Returns the project with the most tasks, which the list scenarios read. */
export function largestProject(data) {
  return [...data.projects].sort((a, b) => b.taskCount - a.taskCount)[0];
}
