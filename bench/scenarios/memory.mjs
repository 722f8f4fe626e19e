// Scenario 5: resident memory of the service process under steady load at
// about 80% of the throughput it reached in the comparisons.
import { setTimeout as delay } from 'node:timers/promises';

import { requireAll2xx, runLoad, startLoad } from '../lib/load.mjs';
import { settle } from '../lib/rounds.mjs';
import { rssBytes } from '../lib/processes.mjs';
import { median } from '../lib/stats.mjs';
import { CHEAP_PATH } from './cheap-route.mjs';
import { listPath } from './list.mjs';

const MIB = 1024 * 1024;
// Below this many list requests a second, a run of minutes makes too few
// requests for memory to show a trend, so the cheap route carries the load.
const LIST_RATE_FOR_MEMORY = 20;
const WARM_UP_SHARE = 0.25;
const TRACE_POINTS = 11;

/**
 * Measures the throughput of one closed-loop run, for a route no comparison
 * measured. `extent` is a duration or, for a route of seconds a request, an amount.
 */
async function measureMax(context, label, url, connections, extent) {
  const headers = { authorization: `Bearer ${context.reader.token}` };
  const result = requireAll2xx(
    await runLoad(context, `${label} maximum`, { url, headers, connections, timeoutSeconds: 180, ...extent }),
  );
  await settle(context, context.service);
  return result.rps;
}

async function chooseRoute(context) {
  const { profile } = context.options;
  const listMax =
    context.results.list?.measured.variants.service.rps.median ??
    (await measureMax(context, 'list', context.service.url + listPath(context), profile.listConnections, {
      amount: profile.listConnections * 2,
    }));
  if (listMax >= LIST_RATE_FOR_MEMORY) {
    return { route: `GET ${listPath(context)}`, url: context.service.url + listPath(context), max: listMax, connections: profile.listConnections };
  }
  const cheapMax =
    context.results.cheap?.measured.variants.service.rps.median ??
    (await measureMax(context, 'permissions', context.service.url + CHEAP_PATH, profile.cheapConnections, {
      durationSeconds: profile.windowSeconds,
    }));
  return {
    route: `GET ${CHEAP_PATH}`,
    url: context.service.url + CHEAP_PATH,
    max: cheapMax,
    connections: profile.cheapConnections,
    reason: `the list reached only ${listMax.toFixed(2)} requests/s, too few for memory to show a trend`,
  };
}

export async function runMemory(context) {
  const { profile } = context.options;
  const choice = await chooseRoute(context);
  const rate = Math.max(1, Math.round(choice.max * 0.8));
  const pid = context.service.pid;
  const idleMiB = rssBytes(pid) / MIB;

  const samples = [];
  const started = Date.now();
  const load = startLoad(context, 'memory', {
    url: choice.url,
    headers: { authorization: `Bearer ${context.reader.token}` },
    connections: Math.min(choice.connections, rate),
    overallRate: rate,
    durationSeconds: profile.memorySeconds,
    timeoutSeconds: 180,
  });
  let finished = false;
  load.finally(() => {
    finished = true;
  });
  while (!finished) {
    samples.push({ seconds: (Date.now() - started) / 1000, mib: rssBytes(pid) / MIB });
    await Promise.race([delay(profile.memorySampleMs), load.catch(() => undefined)]);
  }
  const result = requireAll2xx(await load);
  await settle(context, context.service);

  const steady = samples.filter((sample) => sample.seconds >= profile.memorySeconds * WARM_UP_SHARE).map((sample) => sample.mib);
  const settled = median(steady);
  const maxDeviation = Math.max(...steady.map((mib) => Math.abs(mib - settled))) / settled;
  return {
    ...choice,
    rate,
    achievedRps: result.rps,
    p99: result.latencyMs.p99,
    seconds: profile.memorySeconds,
    sampleCount: samples.length,
    idleMiB,
    settledMiB: settled,
    maxDeviation,
    peakMiB: Math.max(...samples.map((sample) => sample.mib)),
    firstMiB: samples[0]?.mib,
    lastMiB: samples.at(-1)?.mib,
    // Eleven samples from the first to the last, for the shape of the curve.
    traceMiB: Array.from({ length: TRACE_POINTS }, (_, index) => samples[Math.round((index * (samples.length - 1)) / (TRACE_POINTS - 1))].mib),
  };
}
