// Scenario 4: the in-process micro benchmarks of bench/micro.mjs, and the
// same hostile bodies sent over HTTP to the running service.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { REPO_ROOT } from '../lib/environment.mjs';
import { fetchRetrying } from '../lib/compare.mjs';
import { hostileBodies } from '../lib/hostile-bodies.mjs';
import { BenchFailure } from '../lib/load.mjs';
import { summarise } from '../lib/stats.mjs';

export function runMicro(context) {
  const { profile } = context.options;
  const cores = context.machine.serverCores;
  const args = [join(REPO_ROOT, 'bench/micro.mjs')];
  const [file, argv] = cores === null ? [process.execPath, args] : ['taskset', ['-c', cores, process.execPath, ...args]];
  const child = spawn(file, argv, {
    cwd: REPO_ROOT,
    env: {
      ...context.serviceEnv,
      BENCH_TOKEN: context.reader.token,
      BENCH_ROUNDS: String(profile.microRounds),
      BENCH_SCALE: String(profile.microScale),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const lines = Buffer.concat(stdout).toString('utf8').trim().split('\n');
      if (code !== 0) {
        reject(new BenchFailure(`bench/micro.mjs exited ${code}:\n${Buffer.concat(stderr).toString('utf8').slice(-3000)}`));
        return;
      }
      resolve(JSON.parse(lines.at(-1)));
    });
  });
}

/**
 * Posts hostile CreateTask bodies to the service. Bodies within the JSON limit
 * must get 400 and bodies over it 413. A 2xx or a 5xx fails the run.
 */
export async function runHostileBodies(context) {
  const url = `${context.service.url}/v1/projects/${context.project.id}/tasks`;
  const results = [];
  for (const { name, json, expected } of hostileBodies()) {
    const times = [];
    let status;
    for (let attempt = 0; attempt < context.options.profile.bodyAttempts; attempt += 1) {
      const started = performance.now();
      const response = await fetchRetrying(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${context.writer.token}`, 'content-type': 'application/json' },
        body: json,
      });
      await response.arrayBuffer();
      times.push(performance.now() - started);
      status = response.status;
      if (status < 400 || status >= 500) {
        throw new BenchFailure(`POST of a body with ${name} returned status ${status}, expected ${expected}`);
      }
    }
    results.push({ name, bytes: Buffer.byteLength(json), status, expected, ms: summarise(times) });
  }
  return { user: context.writer.role, results };
}
