// Scenario 6: password logins as fast as the service takes them, each
// connection with an account of its own (logins of one account run one at a
// time), while a steady list load measures its p99. Each round also measures
// that list load alone, for the p99 without logins. The target is for two
// cores, so for this scenario the service and the database may use every core
// of the machine (the light load generator shares them).
import { fetchBody } from '../lib/compare.mjs';
import { requireAll2xx, runLoad, startLoad } from '../lib/load.mjs';
import { pinProcess } from '../lib/processes.mjs';
import { settle } from '../lib/rounds.mjs';
import { summarise } from '../lib/stats.mjs';
import { listPath } from './list.mjs';

const MAX_LOGIN_CONNECTIONS = 8;
const MIN_STEADY_RATE = 4;
const MIN_SLOW_LIST_REQUESTS = 2;
// Upper bound of one login run. The list run beside it ends the run much sooner.
const LOGIN_RUN_LIMIT_SECONDS = 900;

export async function runLogin(context) {
  const { allCores, serverCores } = context.machine;
  // An external database has no process here to pin.
  const pids = [context.service.pid, context.database.pid].filter((pid) => pid !== undefined);
  pids.forEach((pid) => pinProcess(pid, allCores));
  try {
    return await measureLogins(context);
  } finally {
    pids.forEach((pid) => pinProcess(pid, serverCores));
  }
}

async function measureLogins(context) {
  const { profile } = context.options;
  const accounts = context.loginAccounts.slice(0, MAX_LOGIN_CONNECTIONS);
  // Half the list's measured maximum as a fixed rate. A list slower than a few
  // requests a second gets one connection for a fixed number of requests.
  const probeStarted = performance.now();
  await fetchBody('list probe', context.service.url + listPath(context), { headers: { authorization: `Bearer ${context.reader.token}` } });
  const probeSeconds = (performance.now() - probeStarted) / 1000;
  const listMax = context.results.list?.measured.variants.service.rps.median ?? 1 / probeSeconds;
  const rate = Math.round(listMax * 0.5);
  const steady = rate >= MIN_STEADY_RATE;

  // The logins run for as long as the list run beside them and are stopped
  // when it ends, so a list request that takes seconds under the logins'
  // load is never cut off half way.
  const loginSpec = {
    url: `${context.service.url}/v1/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    bodies: accounts.map((account) => JSON.stringify({ email: account.email, password: account.password })),
    connections: accounts.length,
    durationSeconds: LOGIN_RUN_LIMIT_SECONDS,
    timeoutSeconds: 60,
  };
  const listSpec = {
    url: context.service.url + listPath(context),
    headers: { authorization: `Bearer ${context.reader.token}` },
    timeoutSeconds: 180,
    ...(steady
      ? { connections: Math.min(profile.listConnections, rate), overallRate: rate, durationSeconds: profile.windowSeconds }
      : { connections: 1, amount: Math.max(profile.minRequests, MIN_SLOW_LIST_REQUESTS) }),
  };

  const logins = [];
  const loginSeconds = [];
  const p99Alone = [];
  const p99WithLogins = [];
  const listRpsWithLogins = [];
  for (let round = 0; round < profile.loginRounds; round += 1) {
    const alone = requireAll2xx(await runLoad(context, `list alone round ${round + 1}`, listSpec));
    p99Alone.push(alone.latencyMs.p99);
    await settle(context, context.service);

    const loginRun = startLoad(context, `logins round ${round + 1}`, loginSpec);
    let list;
    try {
      list = await runLoad(context, `list with logins round ${round + 1}`, listSpec);
    } finally {
      loginRun.stop();
    }
    const login = await loginRun;
    requireAll2xx(list);
    requireAll2xx(login);
    logins.push(login.rps);
    loginSeconds.push(login.durationSeconds);
    p99WithLogins.push(list.latencyMs.p99);
    listRpsWithLogins.push(list.rps);
    await settle(context, context.service);
    process.stdout.write(`  login: round ${round + 1}/${profile.loginRounds} done\n`);
  }

  return {
    cores: context.machine.allCores ?? 'every core (nothing pinned)',
    accounts: accounts.length,
    durationSeconds: summarise(loginSeconds).median,
    listLoad: steady ? `${rate} requests/s` : `one connection, ${listSpec.amount} requests back to back`,
    loginsPerSecond: summarise(logins),
    listP99Alone: summarise(p99Alone),
    listP99WithLogins: summarise(p99WithLogins),
    listRpsWithLogins: summarise(listRpsWithLogins),
  };
}
