// `npm run bench`: starts a database, seeds it, starts the built service in
// production mode and the comparison servers, measures the scenarios, and
// writes their section of docs/benchmarks.md. It exits 1 when a response was
// not 2xx, when variants sent different bytes, or when anything else failed.
// With --strict it also exits 1 when a target was missed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseOptions } from './lib/options.mjs';
import { describeMachine } from './lib/machine.mjs';
import {
  createWorkspace,
  makeSecrets,
  REPO_ROOT,
  SERVICE_ENTRY,
  serviceEnv,
  startDatabase,
  startService,
} from './lib/environment.mjs';
import { BenchFailure } from './lib/load.mjs';
import { fetchBody, fetchRetrying } from './lib/compare.mjs';
import { rssBytes, stopAllProcesses, stopProcess, tailLog } from './lib/processes.mjs';
import { summariseProfiles } from './lib/profile.mjs';
import { evaluateTargets, renderSection, writeSection } from './lib/report.mjs';
import { largestProject, seed } from './lib/seed.mjs';
import { runCheapRoute } from './scenarios/cheap-route.mjs';
import { listPath, runList } from './scenarios/list.mjs';
import { runLogin } from './scenarios/login.mjs';
import { runMemory } from './scenarios/memory.mjs';
import { runHostileBodies, runMicro } from './scenarios/micro.mjs';
import { runToggles } from './scenarios/toggles.mjs';

// Roles tried first for the list reader and the task writer. Admins are left
// out: without a second factor they may only read their profile.
const READER_ROLES = ['developer', 'qa', 'designer', 'viewer', 'manager'];
const WRITER_ROLES = ['developer', 'qa', 'designer', 'manager'];

const log = (message) => process.stdout.write(`${message}\n`);

async function login(context, user) {
  const response = await fetchRetrying(`${context.service.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  const body = await response.json().catch(() => ({}));
  return response.status === 200 && typeof body.accessToken === 'string' ? body.accessToken : undefined;
}

/**
 * Signs the seeded users in and picks who reads the list and who posts the
 * hostile bodies. Every account that signs in takes part in the login load.
 */
async function chooseUsers(context) {
  const signedIn = [];
  for (const user of context.seedData.users.filter((candidate) => candidate.role !== 'admin')) {
    const token = await login(context, user);
    if (token === undefined) {
      continue;
    }
    const probe = await fetchRetrying(`${context.service.url}/v1/projects/${context.project.id}/tasks?limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await probe.arrayBuffer();
    signedIn.push({ ...user, token, readsProject: probe.status === 200 });
  }
  const pick = (roles) =>
    roles.map((role) => signedIn.find((user) => user.role === role && user.readsProject)).find(Boolean);
  context.reader = pick(READER_ROLES);
  context.writer = pick(WRITER_ROLES);
  context.loginAccounts = signedIn;
  if (context.reader === undefined || context.writer === undefined) {
    throw new BenchFailure(
      `no seeded non-admin user could sign in and read project ${context.project.id} ` +
        `(signed in: ${signedIn.map((user) => `${user.role}${user.readsProject ? '' : ' without access'}`).join(', ') || 'none'})`,
    );
  }
}

function commandLine(argv) {
  return argv.length === 0 ? 'npm run bench' : `npm run bench -- ${argv.join(' ')}`;
}

// Memory runs before the hostile bodies, whose large allocations would stay
// in the service's heap and hide how it behaves under ordinary traffic.
const SCENARIO_RUNNERS = [
  ['list', 'scenarios 1 and 2: list of 50 tasks', runList],
  ['cheap', 'scenario 3: GET /v1/users/me/permissions', runCheapRoute],
  ['memory', 'scenario 5: memory under steady load', runMemory],
  ['login', 'scenario 6: logins with the list alongside', runLogin],
  ['micro', 'scenario 4: token verification and validation in process', runMicro],
  ['bodies', 'scenario 4: hostile bodies over HTTP', runHostileBodies],
  ['toggles', 'toggles: service variants', runToggles],
];

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const machine = describeMachine();
  if (!existsSync(SERVICE_ENTRY)) {
    throw new BenchFailure(`${SERVICE_ENTRY} is missing; run "npm run build" first`);
  }
  if (machine.pinned) {
    // The harness only fetches and samples, so it stays off the measured cores.
    spawnSync('taskset', ['-p', '-c', machine.loadCores, String(process.pid)], { stdio: 'ignore' });
  }

  const workspace = createWorkspace();
  const context = {
    options,
    machine,
    workspace,
    secrets: makeSecrets(),
    results: {},
    cleanups: [],
    startedAt: new Date(),
  };
  log(`bench: ${commandLine(options.argv)}; ${machine.cpuModel}, ${machine.cores} cores, Node.js ${machine.node}`);
  log(`bench: logs in ${workspace.logs}`);

  // A signal sent to the harness alone (not to its process group) would leave its children running.
  const interrupt = (signal) => {
    log(`bench: ${signal} received; stopping the servers, the load and the database`);
    stopAllProcesses()
      .then(() => context.database?.stop())
      .catch(() => undefined)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let failed = false;
  try {
    context.database = await startDatabase(workspace, machine, options.mongodbUri);
    context.databaseUri = context.database.uri;
    context.serviceEnv = serviceEnv({ workspace, secrets: context.secrets, databaseUri: context.databaseUri });
    log(`bench: database ready (${context.database.kind}); seeding`);

    context.seedData = await seed(context, options.seedCommand);
    context.project = largestProject(context.seedData);
    log(`bench: seeded in ${context.seedData.seconds.toFixed(1)} s; project ${context.project.id} has ${context.project.taskCount} tasks`);

    const profileDir = join(workspace.root, 'profiles');
    if (options.cpuProf) {
      mkdirSync(profileDir);
    }
    context.service = await startService(context, {
      name: 'service',
      extraEnv: options.serviceEnv,
      nodeArgs: [...options.serviceNodeArgs, ...(options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    });
    context.cleanups.push(context.service);
    context.startRssMiB = rssBytes(context.service.pid) / (1024 * 1024);
    await chooseUsers(context);
    log(`bench: service on ${context.service.url}; the list is read as ${context.reader.role}, bodies posted as ${context.writer.role}`);
    await fetchBody('list probe', context.service.url + listPath(context), {
      headers: { authorization: `Bearer ${context.reader.token}` },
    });

    for (const [key, title, runner] of SCENARIO_RUNNERS) {
      if (!options.scenarios.has(key)) {
        continue;
      }
      const started = Date.now();
      log(`bench: ${title}`);
      context.results[key] = await runner(context);
      log(`bench: ${title} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }

    await stopProcess(context.service);
    const profileSummary = options.cpuProf
      ? summariseProfiles(profileDir, { skipSeconds: context.service.readySeconds })
      : undefined;
    const targets = evaluateTargets(context.results);
    const section = renderSection({
      context,
      results: context.results,
      targets,
      profileSummary,
      command: commandLine(options.argv),
      finishedAt: new Date(),
    });
    log(`\n${section}\n`);
    if (options.write) {
      const out = resolve(REPO_ROOT, options.out);
      writeSection(out, section);
      log(`bench: wrote ${out}`);
    }
    const judged = targets.filter((target) => target.met !== null);
    const missed = judged.filter((target) => !target.met);
    log(`bench: ${judged.length - missed.length} of ${judged.length} targets met; every response was 2xx and every comparison sent the same bytes`);
    if (options.strict && missed.length > 0) {
      failed = true;
    }
  } catch (error) {
    failed = true;
    const cause = error.cause === undefined ? '' : `\ncaused by: ${error.cause.stack ?? error.cause}`;
    log(`bench: FAILED: ${error instanceof BenchFailure ? error.message : error.stack}${cause}`);
    if (context.service !== undefined) {
      log(`bench: last lines of the service log:\n${tailLog(context.service.logPath, 15)}`);
    }
  } finally {
    writeFileSync(join(workspace.root, 'results.json'), `${JSON.stringify(context.results, null, 2)}\n`);
    for (const handle of context.cleanups.reverse()) {
      await stopProcess(handle);
    }
    await context.database?.stop().catch(() => undefined);
    if (options.keep || failed) {
      log(`bench: kept ${workspace.root}`);
    } else {
      workspace.remove();
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(1);
  },
);
