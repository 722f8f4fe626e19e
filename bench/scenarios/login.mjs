// Scenario 6: password logins as fast as the service takes them, each
// connection with an account of its own (logins of one account run one at a
// time), while a steady list load measures its p99. Each round also measures
// that list load alone, for the p99 without logins.
import { fetchBody } from '../lib/compare.mjs';
import { requireAll2xx, runLoad } from '../lib/load.mjs';
import { settle } from '../lib/rounds.mjs';
import { summarise } from '../lib/stats.mjs';
import { listPath } from './list.mjs';

const MAX_LOGIN_CONNECTIONS = 8;
const MIN_STEADY_RATE = 4;

export async function runLogin(context) {
  const { profile } = context.options;
  const accounts = context.loginAccounts.slice(0, MAX_LOGIN_CONNECTIONS);
  // Half the list's measured maximum as a fixed rate. A list slower than a few
  // requests a second gets one connection back to back instead, and runs long
  // enough to finish a few requests.
  const probeStarted = performance.now();
  await fetchBody('list probe', context.service.url + listPath(context), { headers: { authorization: `Bearer ${context.reader.token}` } });
  const probeSeconds = (performance.now() - probeStarted) / 1000;
  const listMax = context.results.list?.measured.variants.service.rps.median ?? 1 / probeSeconds;
  const rate = Math.round(listMax * 0.5);
  const steady = rate >= MIN_STEADY_RATE;
  const durationSeconds = steady ? profile.windowSeconds : Math.max(profile.windowSeconds, Math.ceil(3 * probeSeconds));

  const loginSpec = {
    url: `${context.service.url}/v1/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    bodies: accounts.map((account) => JSON.stringify({ email: account.email, password: account.password })),
    connections: accounts.length,
    durationSeconds,
    timeoutSeconds: 60,
  };
  const listSpec = {
    url: context.service.url + listPath(context),
    headers: { authorization: `Bearer ${context.reader.token}` },
    connections: steady ? Math.min(profile.listConnections, rate) : 1,
    ...(steady ? { overallRate: rate } : {}),
    durationSeconds,
    timeoutSeconds: 180,
  };

  const logins = [];
  const p99Alone = [];
  const p99WithLogins = [];
  const listRpsWithLogins = [];
  for (let round = 0; round < profile.loginRounds; round += 1) {
    const alone = requireAll2xx(await runLoad(context, `list alone round ${round + 1}`, listSpec));
    p99Alone.push(alone.latencyMs.p99);
    await settle(context, context.service);

    const [list, login] = await Promise.all([
      runLoad(context, `list with logins round ${round + 1}`, listSpec),
      runLoad(context, `logins round ${round + 1}`, loginSpec),
    ]);
    requireAll2xx(list);
    requireAll2xx(login);
    logins.push(login.rps);
    p99WithLogins.push(list.latencyMs.p99);
    listRpsWithLogins.push(list.rps);
    await settle(context, context.service);
    process.stdout.write(`  login: round ${round + 1}/${profile.loginRounds} done\n`);
  }

  return {
    accounts: accounts.length,
    durationSeconds,
    listLoad: steady ? `${rate} requests/s` : 'one connection back to back',
    loginsPerSecond: summarise(logins),
    listP99Alone: summarise(p99Alone),
    listP99WithLogins: summarise(p99WithLogins),
    listRpsWithLogins: summarise(listRpsWithLogins),
  };
}
