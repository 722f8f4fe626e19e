// Measures what writing an audit event adds to a task update, on the built
// service and its embedded database: the same number of task updates through
// TasksService, with and without the audit event the HTTP layer writes for
// each. Run with `npm run build && node bench/audit-overhead.mjs`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApp } from '../dist/apps/api/src/bootstrap.js';
import { permissionsForRole } from '../dist/libs/access/src/index.js';
import { AuditRecorder, loadConfig } from '../dist/libs/core/src/index.js';
import { ProjectsService } from '../dist/libs/projects/src/index.js';
import { TasksService } from '../dist/libs/tasks/src/index.js';

const ROUNDS = 5;
const UPDATES_PER_ROUND = 200;

const dataDir = mkdtempSync(join(tmpdir(), 'codexflow-bench-'));
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
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
const task = await tasks.create(admin, project.publicId, { title: 'Measured task', priority: 'low' });

async function updates(withAudit) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < UPDATES_PER_ROUND; index += 1) {
    await tasks.update(admin, task.publicId, { title: `Measured task ${index}` });
    if (withAudit) {
      await audit.record({
        action: 'tasks.update',
        resource: 'tasks',
        resourceId: task.publicId,
        result: 'success',
      });
    }
  }
  return Number(process.hrtime.bigint() - started) / 1e6 / UPDATES_PER_ROUND;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const without = [];
const withEvent = [];
await updates(true);
for (let round = 0; round < ROUNDS; round += 1) {
  // Interleaved, so drift in the machine's load affects both alike.
  without.push(await updates(false));
  withEvent.push(await updates(true));
}
const plain = median(without);
const audited = median(withEvent);
process.stdout.write(
  `task update: ${plain.toFixed(2)} ms without the audit event, ${audited.toFixed(2)} ms with it; ` +
    `ratio ${(audited / plain).toFixed(2)} (median of ${ROUNDS} interleaved rounds of ${UPDATES_PER_ROUND})\n`,
);

await app.close();
rmSync(dataDir, { recursive: true, force: true });
