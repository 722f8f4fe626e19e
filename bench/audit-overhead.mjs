// Measures what writing an audit event adds to a task update, on the built
// service and its embedded database: the same number of task updates through
// TasksService, with and without the audit event the HTTP layer writes for
// each. Run with `npm run build && node bench/audit-overhead.mjs`, optionally
// with `--rounds N`, `--updates N` (updates per variant and round) and
// `--concurrency N` (updates in flight at once, each worker on a task of its
// own, so 1 runs them one after another).
//
// Each round runs both variants back to back, in alternating order, and the
// ratio is taken within the round, so a slow minute of a shared machine
// affects both sides of a ratio alike. The CPU time of this process and of
// the database shows which of the two the audit event costs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createApp } from '../dist/apps/api/src/bootstrap.js';
import { permissionsForRole } from '../dist/libs/access/src/index.js';
import { AuditRecorder, EmbeddedDatabase, loadConfig } from '../dist/libs/core/src/index.js';
import { ProjectsService } from '../dist/libs/projects/src/index.js';
import { TasksService } from '../dist/libs/tasks/src/index.js';
import { formatSpread, summarise } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    updates: { type: 'string', default: '150' },
    concurrency: { type: 'string', default: '1' },
  },
});
const ROUNDS = Number(values.rounds);
const UPDATES_PER_ROUND = Number(values.updates);
const CONCURRENCY = Number(values.concurrency);
for (const [name, value] of Object.entries({ rounds: ROUNDS, updates: UPDATES_PER_ROUND, concurrency: CONCURRENCY })) {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
  }
}

/** Returns the CPU seconds (user and system, all threads) a process has used, from /proc. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const dataDir = mkdtempSync(join(tmpdir(), 'codexflow-bench-'));
// Started here rather than by the app, so its CPU time can be read.
const database = await EmbeddedDatabase.start(join(dataDir, 'database'));
const uri = new URL(database.uri);
uri.pathname = '/codexflow';
// Port 0 gives the metrics listener a free port, so the run does not collide with a service on 9464.
const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
  MONGODB_URI: uri.toString(),
  METRICS_PORT: '0',
});
const app = await createApp(config);
const admin = {
  userId: 'usr_benchadmin0000000000',
  sessionId: 'ses_bench000000000000000',
  role: 'admin',
  permissions: permissionsForRole('admin'),
  amr: ['pwd', 'mfa'],
  tokenId: 'bench',
  tokenExpiresAt: new Date(Date.now() + 3_600_000),
  transport: 'bearer',
};

const tasks = app.get(TasksService);
const audit = app.get(AuditRecorder);
const project = await app.get(ProjectsService).create(admin, { key: 'BENCH', name: 'Bench' });
const taskIds = [];
for (let worker = 0; worker < CONCURRENCY; worker += 1) {
  taskIds.push((await tasks.create(admin, project.publicId, { title: `Measured task ${worker}`, priority: 'low' })).publicId);
}
let titleNumber = 0;

/** Updates one task until the round has done its updates, each followed by its event if `withAudit`. */
async function worker(taskId, withAudit, round) {
  while (round.started < UPDATES_PER_ROUND) {
    round.started += 1;
    titleNumber += 1;
    await tasks.update(admin, taskId, { title: `Measured task ${titleNumber}` });
    if (withAudit) {
      await audit.record({ action: 'tasks.update', resource: 'tasks', resourceId: taskId, result: 'success' });
    }
  }
}

/** Runs one round of updates and returns the wall and CPU milliseconds per update. */
async function updates(withAudit) {
  const processBefore = process.cpuUsage();
  const databaseBefore = cpuSeconds(database.pid);
  const started = process.hrtime.bigint();
  const round = { started: 0 };
  await Promise.all(taskIds.map((taskId) => worker(taskId, withAudit, round)));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const processCpu = process.cpuUsage(processBefore);
  return {
    ms: wallMs / UPDATES_PER_ROUND,
    processCpuMs: (processCpu.user + processCpu.system) / 1000 / UPDATES_PER_ROUND,
    databaseCpuMs: ((cpuSeconds(database.pid) - databaseBefore) * 1000) / UPDATES_PER_ROUND,
  };
}

const without = [];
const withEvent = [];
await updates(true);
await updates(false);
for (let round = 0; round < ROUNDS; round += 1) {
  if (round % 2 === 0) {
    without.push(await updates(false));
    withEvent.push(await updates(true));
  } else {
    withEvent.push(await updates(true));
    without.push(await updates(false));
  }
}

const field = (rounds, name) => summarise(rounds.map((round) => round[name]));
const ratios = summarise(withEvent.map((round, index) => round.ms / without[index].ms));
const eventMs = summarise(withEvent.map((round, index) => round.ms - without[index].ms));
process.stdout.write(
  `task update: ${formatSpread(field(without, 'ms'))} ms without the audit event, ` +
    `${formatSpread(field(withEvent, 'ms'))} ms with it; ratio ${formatSpread(ratios, 2)}, ` +
    `the event ${formatSpread(eventMs)} ms (median (min–max) of ${ROUNDS} interleaved rounds of ${UPDATES_PER_ROUND}, ` +
    `${CONCURRENCY} at a time)\n` +
    `CPU per update without / with the event: this process ${formatSpread(field(without, 'processCpuMs'))} / ` +
    `${formatSpread(field(withEvent, 'processCpuMs'))} ms, the database ${formatSpread(field(without, 'databaseCpuMs'))} / ` +
    `${formatSpread(field(withEvent, 'databaseCpuMs'))} ms\n`,
);

await app.close();
await database.stop();
rmSync(dataDir, { recursive: true, force: true });
