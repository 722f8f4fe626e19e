// Interleaved comparison of variants of one request. Every round runs each
// variant once (A B C, then B C A, ...), so a slow minute of the machine hits
// all of them. The ratio of each round then compares neighbours in time.
import { fetchBody } from './compare.mjs';
import { requireAll2xx, runLoad } from './load.mjs';
import { cpuSeconds, trimLog, waitForIdle } from './processes.mjs';
import { summarise } from './stats.mjs';

const MIN_REQUESTS_PER_CONNECTION = 5;
const SLOW_REQUEST_MS = 250;

function loadSpec(variant, connections, timeoutSeconds, extra) {
  return {
    url: variant.url,
    method: variant.method ?? 'GET',
    headers: variant.headers ?? {},
    body: variant.body,
    connections,
    timeoutSeconds,
    ...extra,
  };
}

/**
 * Waits until the variant's server and the database have nothing left to do,
 * and keeps the service's request log from filling the disk on long runs.
 */
export function settle(context, variant) {
  trimLog(context.service.logPath);
  const pids = [variant.pid, context.database.pid].filter((pid) => pid !== undefined);
  return waitForIdle(pids);
}

/**
 * Times one request in milliseconds. A quick first response is timed again,
 * because it may have paid for the connection and for cold code. A slow one
 * is slow for other reasons and is not repeated.
 */
async function sequentialLatency(variant) {
  const init = { method: variant.method ?? 'GET', headers: variant.headers ?? {}, body: variant.body };
  let started = performance.now();
  await fetchBody(variant.label, variant.url, init);
  const first = performance.now() - started;
  if (first > SLOW_REQUEST_MS) {
    return first;
  }
  started = performance.now();
  await fetchBody(variant.label, variant.url, init);
  return performance.now() - started;
}

/**
 * Warms every variant up and decides how to measure. A route is measured for
 * a fixed time when every connection can finish several requests in a window,
 * even if the server handled them one at a time. A slower route (seconds per
 * request) is measured for a fixed number of requests, so no run ends with
 * requests abandoned half way.
 */
async function warmUp(context, name, variants, connections, timeoutSeconds) {
  const { profile } = context.options;
  let slowestMs = 0;
  for (const variant of variants) {
    slowestMs = Math.max(slowestMs, await sequentialLatency(variant));
    await settle(context, variant);
  }
  const fast = (profile.windowSeconds * 1000) / (connections * slowestMs) >= MIN_REQUESTS_PER_CONNECTION;
  if (fast) {
    for (const variant of variants) {
      requireAll2xx(
        await runLoad(context, `${name} ${variant.label} warm-up`, loadSpec(variant, connections, timeoutSeconds, { durationSeconds: profile.warmupSeconds })),
      );
      await settle(context, variant);
    }
    return { mode: 'duration', durationSeconds: profile.windowSeconds, sequentialMs: slowestMs };
  }
  return { mode: 'amount', amount: Math.max(connections, profile.minRequests), sequentialMs: slowestMs };
}

/**
 * Measures `variants` ({key, label, url, headers, pid}) in interleaved rounds
 * and returns each variant's throughput and latency per round.
 */
export async function measureInterleaved(context, { name, variants, connections, timeoutSeconds = 30 }) {
  const { profile } = context.options;
  const plan = await warmUp(context, name, variants, connections, timeoutSeconds);
  const perVariant = Object.fromEntries(variants.map((variant) => [variant.key, emptySeries()]));
  const databasePid = context.database.pid;

  for (let round = 0; round < profile.rounds; round += 1) {
    const order = variants.map((_, index) => variants[(index + round) % variants.length]);
    for (const variant of order) {
      const extra = plan.mode === 'duration' ? { durationSeconds: plan.durationSeconds } : { amount: plan.amount };
      const before = cpuMark(variant, databasePid);
      const result = requireAll2xx(
        await runLoad(context, `${name} ${variant.label} round ${round + 1}`, loadSpec(variant, connections, timeoutSeconds, extra)),
      );
      recordRun(perVariant[variant.key], result, variant, databasePid, before);
      await settle(context, variant);
    }
    process.stdout.write(`  ${name}: round ${round + 1}/${profile.rounds} done\n`);
  }

  return {
    plan,
    connections,
    variants: Object.fromEntries(variants.map((variant) => [variant.key, summariseSeries(variant.label, perVariant[variant.key])])),
  };
}

/** Returns the empty per-round series of one variant. */
export function emptySeries() {
  return { rps: [], p50: [], p99: [], serverCpuMs: [], databaseCpuMs: [] };
}

/** Reads the CPU time the variant's server and the database have used so far. */
export function cpuMark(variant, databasePid) {
  return { server: cpuSeconds(variant.pid), database: databasePid === undefined ? 0 : cpuSeconds(databasePid) };
}

/** Adds one run's throughput, latency and CPU milliseconds per completed request to `series`. */
export function recordRun(series, result, variant, databasePid, before) {
  series.rps.push(result.rps);
  series.p50.push(result.latencyMs.p50);
  series.p99.push(result.latencyMs.p99);
  series.serverCpuMs.push(((cpuSeconds(variant.pid) - before.server) * 1000) / result.ok2xx);
  if (databasePid !== undefined) {
    series.databaseCpuMs.push(((cpuSeconds(databasePid) - before.database) * 1000) / result.ok2xx);
  }
}

/** Returns the medians and spreads of one variant's series. */
export function summariseSeries(label, series) {
  return {
    label,
    series,
    rps: summarise(series.rps),
    p50: summarise(series.p50),
    p99: summarise(series.p99),
    serverCpuMs: summarise(series.serverCpuMs),
    databaseCpuMs: series.databaseCpuMs.length > 0 ? summarise(series.databaseCpuMs) : undefined,
  };
}

/** Summarises the round-by-round ratio of one variant's series to another's. */
export function ratio(measured, numeratorKey, denominatorKey, metric = 'rps') {
  const top = measured.variants[numeratorKey].series[metric];
  const bottom = measured.variants[denominatorKey].series[metric];
  return summarise(top.map((value, index) => value / bottom[index]));
}
