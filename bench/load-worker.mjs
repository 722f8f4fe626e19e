// Runs one load run in a process of its own, so generating load never shares
// an event loop with the harness. The harness passes the path of a JSON spec,
// and the worker prints one JSON summary on stdout.
import { readFileSync } from 'node:fs';

import autocannon from 'autocannon';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const options = {
  url: spec.url,
  method: spec.method ?? 'GET',
  headers: spec.headers ?? {},
  body: spec.body,
  connections: spec.connections,
  pipelining: 1,
  timeout: spec.timeoutSeconds ?? 30,
};
if (spec.amount !== undefined) {
  options.amount = spec.amount;
} else {
  options.duration = spec.durationSeconds;
}
if (spec.overallRate !== undefined) {
  options.overallRate = spec.overallRate;
}
if (spec.bodies !== undefined) {
  // One body per connection, such as one account per connection for logins.
  let next = 0;
  options.setupClient = (client) => {
    client.setBody(spec.bodies[next % spec.bodies.length]);
    next += 1;
  };
}

// SIGTERM ends the run early and still prints its summary: the harness stops a
// background load (the logins) when the run it accompanies is done.
const result = await new Promise((resolve, reject) => {
  const instance = autocannon(options, (error, summary) => (error ? reject(error) : resolve(summary)));
  process.once('SIGTERM', () => instance.stop());
});
const statusCodes = Object.fromEntries(
  Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]),
);
process.stdout.write(
  `${JSON.stringify({
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    statusCodes,
    sent: result.requests.sent,
    durationSeconds: result.duration,
    rps: result['2xx'] / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
  })}\n`,
);
