// Scenarios 1 and 2: the first page of 50 tasks of the large project, newest
// first (the list's default sort), through the service and two servers
// written for the comparison, measured in one interleaved series.
import { MongoClient } from 'mongodb';

import { requireIdenticalBodies } from '../lib/compare.mjs';
import { startBaseline } from '../lib/environment.mjs';
import { measureInterleaved, ratio } from '../lib/rounds.mjs';
import { median } from '../lib/stats.mjs';
import { LIST_SORT } from '../servers/shared.mjs';

export const LIST_LIMIT = 50;

export const listPath = (context) => `/v1/projects/${context.project.id}/tasks?limit=${LIST_LIMIT}`;

/** Times the two reads every variant makes, through the driver alone, as the database's share. */
async function timeDatabaseReads(context) {
  const client = new MongoClient(context.databaseUri);
  await client.connect();
  try {
    const times = [];
    for (let attempt = 0; attempt < context.options.profile.databaseAttempts; attempt += 1) {
      const started = performance.now();
      await client.db().collection('projects').findOne({ publicId: context.project.id });
      await client
        .db()
        .collection('tasks')
        .find({ projectId: context.project.id })
        .sort(LIST_SORT)
        .limit(LIST_LIMIT + 1)
        .toArray();
      times.push(performance.now() - started);
    }
    return median(times);
  } finally {
    await client.close();
  }
}

export async function runList(context) {
  const baselines = {
    plain: await startBaseline(context, { name: 'node:http + mongodb', script: 'plain-node.mjs' }),
    typical: await startBaseline(context, { name: 'typical NestJS', script: 'typical-nest.mjs' }),
  };
  context.cleanups.push(...Object.values(baselines));
  const headers = { authorization: `Bearer ${context.reader.token}` };
  const path = listPath(context);
  const variants = [
    { key: 'service', label: 'CodexFlow service', url: context.service.url + path, headers, pid: context.service.pid },
    { key: 'plain', label: 'node:http + mongodb', url: baselines.plain.url + path, headers, pid: baselines.plain.pid },
    { key: 'typical', label: 'typical NestJS', url: baselines.typical.url + path, headers, pid: baselines.typical.pid },
  ];

  const bytes = await requireIdenticalBodies(variants.map((variant) => ({ label: variant.label, url: variant.url, init: { headers } })));
  const databaseMs = await timeDatabaseReads(context);
  const measured = await measureInterleaved(context, {
    name: 'list',
    variants,
    connections: context.options.profile.listConnections,
    timeoutSeconds: 180,
  });
  // Once more after the load, so a variant that changes its response under load is caught too.
  await requireIdenticalBodies(variants.map((variant) => ({ label: variant.label, url: variant.url, init: { headers } })));

  return {
    bytes,
    databaseMs,
    measured,
    vsPlain: ratio(measured, 'service', 'plain'),
    p99VsPlain: ratio(measured, 'service', 'plain', 'p99'),
    vsTypical: ratio(measured, 'service', 'typical'),
  };
}
