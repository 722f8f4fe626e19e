// Runs autocannon in a child process on the load cores and reads its summary.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT } from './environment.mjs';
import { trackProcess } from './processes.mjs';

const WORKER = join(REPO_ROOT, 'bench/load-worker.mjs');
let specCount = 0;

export class BenchFailure extends Error {
  constructor(message) {
    super(message);
    this.name = 'BenchFailure';
  }
}

/**
 * Starts one load run and resolves with its summary. `label` names the run in
 * errors. The promise's `stop()` ends the run early, and its summary covers the
 * time it ran.
 */
export function startLoad(context, label, spec) {
  specCount += 1;
  const specPath = join(context.workspace.root, `load-${specCount}.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const cores = context.machine.loadCores;
  const [file, args] =
    cores === null
      ? [process.execPath, [WORKER, specPath]]
      : ['taskset', ['-c', cores, process.execPath, WORKER, specPath]];
  const child = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  trackProcess(child);
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  const summary = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const output = Buffer.concat(stdout).toString('utf8').trim();
      if (code !== 0 || output === '') {
        reject(new BenchFailure(`load run "${label}" failed (exit ${code}): ${Buffer.concat(stderr).toString('utf8')}`));
        return;
      }
      resolve({ label, spec, ...JSON.parse(output.split('\n').at(-1)) });
    });
  });
  summary.stop = () => child.kill('SIGTERM');
  return summary;
}

export const runLoad = (context, label, spec) => startLoad(context, label, spec);

/** Throws unless every response of the run was 2xx and nothing failed or timed out. */
export function requireAll2xx(result) {
  const problems = [];
  if (result.non2xx > 0) {
    problems.push(`${result.non2xx} responses were not 2xx (status counts ${JSON.stringify(result.statusCodes)})`);
  }
  if (result.errors > 0 || result.timeouts > 0) {
    problems.push(`${result.errors} errors and ${result.timeouts} timeouts`);
  }
  if (result.ok2xx === 0) {
    problems.push('no request completed');
  }
  if (problems.length > 0) {
    throw new BenchFailure(`load run "${result.label}" against ${result.spec.url}: ${problems.join('; ')}`);
  }
  return result;
}
