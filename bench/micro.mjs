// In-process micro benchmarks on the built service. The harness runs this
// file in a process of its own on the server cores while nothing else is
// measured. It times:
// - an access token through the service's JwtAuthGuard (header, signature,
//   claims and revocation checks), against crypto.verify with the
//   same KeyObject from the service's KeyRing;
// - a CreateTask body through the validation pipe the service installs
//   globally, valid and then deeply nested or huge.
// Settings come from the service's environment plus BENCH_TOKEN, BENCH_ROUNDS
// and BENCH_SCALE. The result is one JSON line on stdout.
import 'reflect-metadata';

import { verify } from 'node:crypto';
import { join, resolve } from 'node:path';

import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';

import { hostileBodies } from './lib/hostile-bodies.mjs';
import { summarise } from './lib/stats.mjs';

const dist = resolve(import.meta.dirname, '..', 'dist');
const load = (path) => import(join(dist, path));

const { createApp } = await load('apps/api/src/bootstrap.js');
const { loadConfig } = await load('libs/core/src/index.js');
const { createValidationPipe } = await load('libs/core/src/http/validation.pipe.js');
const { JwtAuthGuard } = await load('libs/auth/src/index.js');
const { KeyRing } = await load('libs/auth/src/tokens/key-ring.js');
const { CreateTaskDto } = await load('libs/tasks/src/task.dto.js');

const token = process.env.BENCH_TOKEN;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const scale = Number(process.env.BENCH_SCALE ?? 1);

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', PORT: '0', METRICS_PORT: '0' });
const app = await createApp(config);

/** Returns the mean time of one call in microseconds, over `count` sequential calls. */
async function timeAsync(count, once) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) {
    await once();
  }
  return Number(process.hrtime.bigint() - started) / 1000 / count;
}

function timeSync(count, once) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) {
    once();
  }
  return Number(process.hrtime.bigint() - started) / 1000 / count;
}

// --- Token verification -----------------------------------------------------

const guard = app.get(JwtAuthGuard);
// The guard reads @Public() from the handler and its class. These carry none, so the token is checked.
class ProbeController {
  handler() {}
}

async function throughGuard() {
  const request = { headers: { authorization: `Bearer ${token}` }, cookies: {} };
  const context = new ExecutionContextHost([request, {}, () => undefined], ProbeController, ProbeController.prototype.handler);
  await guard.canActivate(context);
  if (request.user?.userId === undefined) {
    throw new Error('the guard accepted the token without a principal');
  }
}

const [encodedHeader] = token.split('.');
const { kid } = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
const publicKey = app.get(KeyRing, { strict: false }).publicKey(kid);
if (publicKey === undefined) {
  throw new Error(`the service's key ring has no key ${kid}`);
}

function rawVerify() {
  const [header, payload, signature] = token.split('.');
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))) {
    throw new Error('crypto.verify rejected the token');
  }
}

const tokenCount = Math.max(100, Math.round(3000 * scale));
await timeAsync(tokenCount, throughGuard);
timeSync(tokenCount, rawVerify);
const guardMicros = [];
const rawMicros = [];
for (let round = 0; round < rounds; round += 1) {
  guardMicros.push(await timeAsync(tokenCount, throughGuard));
  rawMicros.push(timeSync(tokenCount, rawVerify));
}

// --- Validation ---------------------------------------------------------------

const pipe = createValidationPipe();
const metadata = { type: 'body', metatype: CreateTaskDto, data: undefined };
const validBody = {
  title: 'Measure the validation pipe',
  description: 'A task body of the usual size, with every optional field set.',
  priority: 'high',
  status: 'in_progress',
  type: 'task',
  dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  labels: ['backend', 'performance', 'q3'],
};

const checked = await pipe.transform(validBody, metadata);
if (!(checked instanceof CreateTaskDto)) {
  throw new Error('the validation pipe did not turn a valid body into a CreateTaskDto');
}
const validCount = Math.max(500, Math.round(20_000 * scale));
await timeAsync(validCount, () => pipe.transform(validBody, metadata));
const validMicros = [];
for (let round = 0; round < rounds; round += 1) {
  validMicros.push(await timeAsync(validCount, () => pipe.transform(validBody, metadata)));
}

const hostile = hostileBodies().filter((body) => !body.overLimit);

const rejections = [];
for (const { name, json } of hostile) {
  const times = [];
  let status;
  let detail;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const body = JSON.parse(json);
    const started = process.hrtime.bigint();
    try {
      await pipe.transform(body, metadata);
      status = 200;
    } catch (error) {
      status = typeof error.getStatus === 'function' ? error.getStatus() : 500;
      detail = error.message;
    }
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  rejections.push({ name, bytes: Buffer.byteLength(json), status, detail: detail?.slice(0, 160), ms: summarise(times) });
}

await app.close();

process.stdout.write(
  `${JSON.stringify({
    token: {
      calls: tokenCount,
      guardMicros: summarise(guardMicros),
      rawMicros: summarise(rawMicros),
      // Throughput ratio of the guard to crypto.verify, round by round.
      ratio: summarise(guardMicros.map((micros, index) => rawMicros[index] / micros)),
    },
    validation: { calls: validCount, validMicros: summarise(validMicros), rejections },
  })}\n`,
);
process.exit(0);
