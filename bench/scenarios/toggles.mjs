// Runs the variants listed in bench/toggles.mjs against the default service.
import { join } from 'node:path';

import { fetchBody, requireSameBytes } from '../lib/compare.mjs';
import { REPO_ROOT, startService } from '../lib/environment.mjs';
import { BenchFailure, requireAll2xx, runLoad } from '../lib/load.mjs';
import { stopProcess } from '../lib/processes.mjs';
import { cpuMark, emptySeries, measureInterleaved, ratio, recordRun, settle, summariseSeries } from '../lib/rounds.mjs';
import { summarise } from '../lib/stats.mjs';
import { TOGGLES } from '../toggles.mjs';
import { CHEAP_PATH } from './cheap-route.mjs';
import { listPath } from './list.mjs';

export const UPDATE_ROUTE = 'PATCH /v1/tasks/:id';
// The update response's only per-request field. The ETag header changes too, but headers are not compared.
const UPDATE_VOLATILE_FIELDS = ['updatedAt'];
// As in bench/lib/rounds.mjs: a run lasts a fixed time only when every connection finishes several requests in it.
const MIN_REQUESTS_PER_CONNECTION = 5;

function writerHeaders(context) {
  return { authorization: `Bearer ${context.writer.token}`, 'content-type': 'application/json' };
}

function patchInit(context, title) {
  return { method: 'PATCH', headers: writerHeaders(context), body: JSON.stringify({ title }) };
}

/** Creates a task in the measured project as the writer, who may then update it as its creator. */
async function createTask(context, title) {
  const { body } = await fetchBody(
    `task setup as ${context.writer.role}`,
    `${context.service.url}/v1/projects/${context.project.id}/tasks`,
    { method: 'POST', headers: writerHeaders(context), body: JSON.stringify({ title, priority: 'low' }) },
  );
  return JSON.parse(body.toString('utf8')).id;
}

/** Fetches one page of the task's activity, newest first. */
async function activityPage(context, taskId, cursor) {
  const query = cursor === undefined ? 'limit=100' : `limit=100&cursor=${encodeURIComponent(cursor)}`;
  const { body } = await fetchBody('task activity', `${context.service.url}/v1/tasks/${taskId}/activity?${query}`, {
    headers: { authorization: `Bearer ${context.writer.token}` },
  });
  return JSON.parse(body.toString('utf8'));
}

/** Returns the time of the task's newest activity entry, or null when it has none. */
async function newestActivityAt(context, taskId) {
  return (await activityPage(context, taskId)).data[0]?.at ?? null;
}

/**
 * Counts the task's activity entries newer than `after`. Each update that
 * changed the title wrote one. The task's version would undercount them on
 * the embedded database, whose updates of one document run without isolation
 * and can lose an increment of a concurrent one.
 */
async function changesSince(context, taskId, after) {
  let count = 0;
  let cursor;
  for (;;) {
    const page = await activityPage(context, taskId, cursor);
    for (const entry of page.data) {
      if (after !== null && entry.at <= after) {
        return count;
      }
      count += 1;
    }
    if (page.nextCursor === null) {
      return count;
    }
    cursor = page.nextCursor;
  }
}

/**
 * Sends the same update of one task through every variant and compares the
 * responses with their update time blanked out. Before each compared request
 * the task gets another title, so every compared request really changes it.
 */
async function compareUpdates(context, variants, taskId) {
  const responses = [];
  let slowestMs = 0;
  for (const variant of variants) {
    const url = `${variant.baseUrl}/v1/tasks/${taskId}`;
    await fetchBody(`${variant.label} reset`, url, patchInit(context, 'Compared update, before'));
    const started = performance.now();
    responses.push(await fetchBody(variant.label, url, patchInit(context, 'Compared update')));
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }
  return { bytes: requireSameBytes(responses, { volatileFields: UPDATE_VOLATILE_FIELDS }), slowestMs };
}

/**
 * Measures task updates through each variant in interleaved rounds, each
 * variant on its own task. A constant body would change the task once, and
 * the service skips the write of an update that changes nothing. So every
 * connection sends its own title, and an update changes the task unless the
 * last one came from the same connection. The task's activity counts how many did.
 */
async function measureUpdates(context, { name, variants, connections, sequentialMs }) {
  const { profile } = context.options;
  const bodies = Array.from({ length: connections }, (_, index) => JSON.stringify({ title: `Measured update ${index + 1}` }));
  const spec = (variant, extra) => ({
    url: variant.url,
    method: 'PATCH',
    headers: writerHeaders(context),
    bodies,
    connections,
    timeoutSeconds: 180,
    ...extra,
  });
  const fast = (profile.windowSeconds * 1000) / (connections * sequentialMs) >= MIN_REQUESTS_PER_CONNECTION;
  const plan = fast
    ? { mode: 'duration', durationSeconds: profile.windowSeconds, sequentialMs }
    : { mode: 'amount', amount: Math.max(connections, profile.minRequests), sequentialMs };
  const run = plan.mode === 'duration' ? { durationSeconds: plan.durationSeconds } : { amount: plan.amount };
  for (const variant of variants) {
    const warmUp = { amount: fast ? connections * MIN_REQUESTS_PER_CONNECTION : connections };
    requireAll2xx(await runLoad(context, `${name} ${variant.label} warm-up`, spec(variant, warmUp)));
    await settle(context, variant);
  }

  const perVariant = Object.fromEntries(
    variants.map((variant) => [variant.key, { ...emptySeries(), updates: 0, changes: 0 }]),
  );
  const databasePid = context.database.pid;
  for (let round = 0; round < profile.rounds; round += 1) {
    const order = variants.map((_, index) => variants[(index + round) % variants.length]);
    for (const variant of order) {
      const series = perVariant[variant.key];
      const changedBefore = await newestActivityAt(context, variant.taskId);
      const before = cpuMark(variant, databasePid);
      const result = requireAll2xx(
        await runLoad(context, `${name} ${variant.label} round ${round + 1}`, spec(variant, run)),
      );
      recordRun(series, result, variant, databasePid, before);
      await settle(context, variant);
      // Read after settling, so requests still running when the load stopped are counted here.
      series.changes += await changesSince(context, variant.taskId, changedBefore);
      series.updates += result.ok2xx;
    }
    process.stdout.write(`  ${name}: round ${round + 1}/${profile.rounds} done\n`);
  }

  return {
    plan,
    connections,
    variants: Object.fromEntries(
      variants.map((variant) => {
        const series = perVariant[variant.key];
        return [
          variant.key,
          { ...summariseSeries(variant.label, series), updates: series.updates, changes: series.changes },
        ];
      }),
    ),
  };
}

/** Compares task updates through the default service and the variant, each on tasks of its own. */
async function runUpdateToggle(context, toggle, variant) {
  const name = `${toggle.name} update`;
  const defaultTask = await createTask(context, 'Updated through the default service');
  const variantTask = await createTask(context, `Updated through the variant ${toggle.name}`);
  const comparedTask = await createTask(context, 'Compared update, created');
  const variants = [
    { key: 'default', label: 'default service', baseUrl: context.service.url, pid: context.service.pid, taskId: defaultTask },
    { key: 'variant', label: toggle.name, baseUrl: variant.url, pid: variant.pid, taskId: variantTask },
  ].map((entry) => ({ ...entry, url: `${entry.baseUrl}/v1/tasks/${entry.taskId}` }));

  const before = await compareUpdates(context, variants, comparedTask);
  // Two connections at least, so that consecutive updates come from different connections and change the task.
  const connections = Math.max(2, context.options.profile.listConnections);
  const measured = await measureUpdates(context, { name, variants, connections, sequentialMs: before.slowestMs });
  const { bytes } = await compareUpdates(context, variants, comparedTask);
  if (bytes.sha256 !== before.bytes.sha256) {
    throw new BenchFailure(`${name}: the compared update response changed during the run (${before.bytes.sha256} before, ${bytes.sha256} after)`);
  }
  const vsDefault = ratio(measured, 'variant', 'default');
  return {
    name: toggle.name,
    omit: toggle.omit,
    route: UPDATE_ROUTE,
    measured,
    vsDefault,
    // How much longer a request takes with the part than without it, from the throughput of each round.
    addedTime: summarise(measured.variants.variant.series.rps.map((rps, index) => rps / measured.variants.default.series.rps[index] - 1)),
    bytes,
  };
}

export async function runToggles(context) {
  const { profile } = context.options;
  const results = [];
  for (const toggle of TOGGLES) {
    const variant = await startService(context, {
      name: `service ${toggle.name}`,
      entry: join(REPO_ROOT, 'bench/servers/codexflow-variant.mjs'),
      extraEnv: { ...context.options.serviceEnv, BENCH_OMIT: toggle.omit.join(',') },
      deployedOptions: toggle.deployedOptions ?? true,
    });
    try {
      const headers = { authorization: `Bearer ${context.reader.token}` };
      for (const route of toggle.routes ?? ['cheap']) {
        if (route === 'update') {
          results.push(await runUpdateToggle(context, toggle, variant));
          continue;
        }
        const path = route === 'list' ? listPath(context) : CHEAP_PATH;
        const measured = await measureInterleaved(context, {
          name: `${toggle.name} ${route}`,
          variants: [
            { key: 'default', label: 'default service', url: context.service.url + path, headers, pid: context.service.pid },
            { key: 'variant', label: toggle.name, url: variant.url + path, headers, pid: variant.pid },
          ],
          connections: route === 'list' ? profile.listConnections : profile.cheapConnections,
          timeoutSeconds: 180,
        });
        results.push({ name: toggle.name, omit: toggle.omit, route: path, measured, vsDefault: ratio(measured, 'variant', 'default') });
      }
    } finally {
      await stopProcess(variant);
    }
  }
  return { defined: TOGGLES.length, results };
}
