// Scenario 3: GET /v1/users/me/permissions, an authenticated route whose
// response the service builds from the verified token alone, against a bare
// node:http handler that sends the bytes the service sent. A node:http server that
// checks the token with crypto.verify too shows what the check itself costs.
// Two NestJS apps that return the same bytes from one constant route, on the
// Express and on the Fastify platform, show the framework's own floor.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { fetchBody, requireIdenticalBodies } from '../lib/compare.mjs';
import { startBaseline } from '../lib/environment.mjs';
import { BenchFailure } from '../lib/load.mjs';
import { measureInterleaved, ratio } from '../lib/rounds.mjs';

export const CHEAP_PATH = '/v1/users/me/permissions';

/**
 * Fails unless every variant sends the content type the first one sent. The
 * body comparison leaves headers out, and a platform may pick its own default.
 */
async function requireSameContentType(variants) {
  const contentTypes = [];
  for (const variant of variants) {
    const response = await fetchBody(variant.label, variant.url, { headers: variant.headers });
    contentTypes.push({ label: variant.label, value: response.headers.get('content-type') });
  }
  const [reference, ...others] = contentTypes;
  for (const other of others) {
    if (other.value !== reference.value) {
      throw new BenchFailure(`${other.label} sent content-type ${JSON.stringify(other.value)}, but ${reference.label} sent ${JSON.stringify(reference.value)}`);
    }
  }
  return reference.value;
}

export async function runCheapRoute(context) {
  const headers = { authorization: `Bearer ${context.reader.token}` };
  const reference = await fetchBody('CodexFlow service', context.service.url + CHEAP_PATH, { headers });
  const bodyFile = join(context.workspace.root, 'permissions.json');
  writeFileSync(bodyFile, reference.body);
  const staticEnv = {
    BENCH_STATIC_PATH: CHEAP_PATH,
    BENCH_STATIC_BODY_FILE: bodyFile,
    BENCH_STATIC_CONTENT_TYPE: reference.headers.get('content-type') ?? 'application/json',
  };

  const bare = await startBaseline(context, { name: 'bare node:http', script: 'bare-static.mjs', env: staticEnv });
  context.cleanups.push(bare);
  const plain = await startBaseline(context, { name: 'node:http + crypto.verify', script: 'plain-node.mjs' });
  context.cleanups.push(plain);
  // Both floor servers append to nest-floor.log in the run's logs folder. Nest prefixes
  // each line with the process id, and the start line names the platform.
  const nestExpress = await startBaseline(context, {
    name: 'NestJS on Express, one constant route',
    script: 'nest-floor.mjs',
    env: { ...staticEnv, BENCH_NEST_ADAPTER: 'express' },
  });
  context.cleanups.push(nestExpress);
  const nestFastify = await startBaseline(context, {
    name: 'NestJS on Fastify, one constant route',
    script: 'nest-floor.mjs',
    env: { ...staticEnv, BENCH_NEST_ADAPTER: 'fastify' },
  });
  context.cleanups.push(nestFastify);
  const variants = [
    { key: 'service', label: 'CodexFlow service', url: context.service.url + CHEAP_PATH, headers, pid: context.service.pid },
    { key: 'bare', label: 'bare node:http', url: bare.url + CHEAP_PATH, headers, pid: bare.pid },
    { key: 'plain', label: 'node:http + crypto.verify', url: plain.url + CHEAP_PATH, headers, pid: plain.pid },
    { key: 'nestExpress', label: 'NestJS on Express, one constant route', url: nestExpress.url + CHEAP_PATH, headers, pid: nestExpress.pid },
    { key: 'nestFastify', label: 'NestJS on Fastify, one constant route', url: nestFastify.url + CHEAP_PATH, headers, pid: nestFastify.pid },
  ];
  const bytes = await requireIdenticalBodies(variants.map((variant) => ({ label: variant.label, url: variant.url, init: { headers } })));
  const contentType = await requireSameContentType(variants);
  const measured = await measureInterleaved(context, {
    name: 'permissions',
    variants,
    connections: context.options.profile.cheapConnections,
  });
  return {
    bytes,
    contentType,
    measured,
    vsBare: ratio(measured, 'service', 'bare'),
    p99VsBare: ratio(measured, 'service', 'bare', 'p99'),
    vsPlain: ratio(measured, 'service', 'plain'),
    vsNestExpress: ratio(measured, 'service', 'nestExpress'),
    nestExpressVsBare: ratio(measured, 'nestExpress', 'bare'),
    nestFastifyVsBare: ratio(measured, 'nestFastify', 'bare'),
  };
}
