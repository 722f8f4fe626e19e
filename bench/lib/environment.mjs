// Everything the measured processes share: a temporary folder, the signing
// and encryption keys, the database, and the environment of the built service.
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { freePort, pinProcess, startProcess, waitForHttp } from './processes.mjs';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVICE_ENTRY = join(REPO_ROOT, 'dist/apps/api/src/main.js');
export const JOBS_ENTRY = join(REPO_ROOT, 'dist/apps/jobs/src/main.js');

// Fixed, so every service variant issues and accepts the same `iss`.
const APP_BASE_URL = 'http://127.0.0.1:3000';
const JWT_AUDIENCE = 'codexflow-api';
// The largest limit the service accepts. A full run sends a few million requests at most.
const RATE_LIMIT_NEVER_REACHED = 100_000_000;

export function createWorkspace() {
  const root = mkdtempSync(join(tmpdir(), 'codexflow-bench-'));
  const logs = join(root, 'logs');
  mkdirSync(logs);
  return { root, logs, dataDir: join(root, 'data'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Makes a fresh RSA signing key and encryption key ring, which production requires. */
export function makeSecrets() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    jwtPrivateKeys: `kid: bench-1\n${privatePem}`,
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    encryptionKeys: `bench1:${randomBytes(32).toString('base64')}`,
    issuer: APP_BASE_URL,
    audience: JWT_AUDIENCE,
  };
}

/** Returns the variables a child needs from this process, and nothing that could configure the service. */
function baseEnv() {
  const inherited = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ']) {
    if (process.env[name] !== undefined) {
      inherited[name] = process.env[name];
    }
  }
  return inherited;
}

function withDatabaseName(uri, name) {
  const url = new URL(uri);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Starts the embedded database of the built service under the workspace, on
 * the server cores, or uses `externalUri` with a database of this run's own.
 */
export async function startDatabase(workspace, machine, externalUri) {
  if (externalUri !== undefined) {
    const uri = withDatabaseName(externalUri, `codexflow_bench_${Date.now()}`);
    return { uri, kind: 'external MongoDB server', pid: undefined, stop: () => dropDatabase(uri) };
  }
  const { EmbeddedDatabase } = await import(join(REPO_ROOT, 'dist/libs/core/src/index.js'));
  const database = await EmbeddedDatabase.start(workspace.dataDir);
  pinProcess(database.pid, machine.serverCores);
  return {
    uri: withDatabaseName(database.uri, 'codexflow'),
    kind: 'embedded FerretDB 1.24 (SQLite)',
    pid: database.pid,
    stop: () => database.stop(),
  };
}

async function dropDatabase(uri) {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri);
  try {
    await client.db().dropDatabase();
  } finally {
    await client.close();
  }
}

/** Builds the environment of the built service and its jobs, in production mode. */
export function serviceEnv({ workspace, secrets, databaseUri }) {
  return {
    ...baseEnv(),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATA_DIR: workspace.dataDir,
    MONGODB_URI: databaseUri,
    JWT_PRIVATE_KEYS: secrets.jwtPrivateKeys,
    ENCRYPTION_KEYS: secrets.encryptionKeys,
    APP_BASE_URL,
    JWT_AUDIENCE,
    // A token from the start of a full run must outlive it.
    ACCESS_TOKEN_TTL: '1h',
    LOG_LEVEL: 'info',
    // The rate limiter stays on and counts every request. Its limits are out of
    // reach, because every load comes from one address and a few accounts.
    RATE_LIMIT_IP_MAX: String(RATE_LIMIT_NEVER_REACHED),
    RATE_LIMIT_USER_MAX: String(RATE_LIMIT_NEVER_REACHED),
    RATE_LIMIT_AUTH_MAX: String(RATE_LIMIT_NEVER_REACHED),
  };
}

const API_ENTRY = 'dist/apps/api/src/main.js';

/**
 * Returns the Node.js options of the api container in deploy/deployment.yaml,
 * such as its heap cap, so the benchmark measures the service as it is deployed.
 */
export function deployedNodeArgs() {
  const manifest = readFileSync(join(REPO_ROOT, 'deploy/deployment.yaml'), 'utf8');
  for (const match of manifest.matchAll(/^\s*command:\s*(\[.*\])\s*$/gm)) {
    const command = JSON.parse(match[1]);
    if (command[0] === 'node' && command.at(-1) === API_ENTRY) {
      return command.slice(1, -1);
    }
  }
  throw new Error(`deploy/deployment.yaml has no command ["node", ..., "${API_ENTRY}"]`);
}

/**
 * Starts one process of the built service on the server cores and waits until
 * it is ready. `extraEnv` makes a variant of it, such as one with a feature
 * switched off. `nodeArgs` go to node itself (for example --cpu-prof), after
 * the deployment's own options unless `deployedOptions` is false.
 */
export async function startService(context, { name, extraEnv = {}, nodeArgs = [], entry = SERVICE_ENTRY, deployedOptions = true }) {
  const port = await freePort();
  const metricsPort = await freePort();
  const began = Date.now();
  const handle = startProcess({
    name,
    command: process.execPath,
    args: [...(deployedOptions ? deployedNodeArgs() : []), ...nodeArgs, entry],
    env: { ...context.serviceEnv, PORT: String(port), METRICS_PORT: String(metricsPort), ...extraEnv },
    cores: context.machine.serverCores,
    logPath: join(context.workspace.logs, `${name.replace(/[^a-z0-9]+/gi, '-')}.log`),
    cwd: REPO_ROOT,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/ready`, handle);
  return { ...handle, port, url, extraEnv, readySeconds: (Date.now() - began) / 1000 };
}

/**
 * Starts a comparison server from bench/servers on the server cores. The
 * server reads its port and settings from BENCH_* variables, and returns 2xx
 * for GET /ready once it can serve.
 */
export async function startBaseline(context, { name, script, env = {} }) {
  const port = await freePort();
  const handle = startProcess({
    name,
    command: process.execPath,
    args: [join(REPO_ROOT, 'bench/servers', script)],
    env: {
      ...baseEnv(),
      NODE_ENV: 'production',
      BENCH_PORT: String(port),
      BENCH_MONGODB_URI: context.databaseUri,
      BENCH_PUBLIC_KEY_PEM: context.secrets.publicKeyPem,
      BENCH_JWT_ISSUER: context.secrets.issuer,
      BENCH_JWT_AUDIENCE: context.secrets.audience,
      BENCH_ENCRYPTION_KEYS: context.secrets.encryptionKeys,
      ...env,
    },
    cores: context.machine.serverCores,
    logPath: join(context.workspace.logs, `${script.replace(/\.mjs$/, '')}.log`),
    cwd: REPO_ROOT,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/ready`, handle, { timeoutMs: 60_000 });
  return { ...handle, port, url };
}
