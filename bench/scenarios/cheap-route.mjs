// Scenario 3: GET /v1/users/me/permissions, an authenticated route whose
// response the service builds from the verified token alone, against a bare
// node:http handler that sends the bytes the service sent. A node:http server that
// checks the token with crypto.verify too shows what the check itself costs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { fetchBody, requireIdenticalBodies } from '../lib/compare.mjs';
import { startBaseline } from '../lib/environment.mjs';
import { measureInterleaved, ratio } from '../lib/rounds.mjs';

export const CHEAP_PATH = '/v1/users/me/permissions';

export async function runCheapRoute(context) {
  const headers = { authorization: `Bearer ${context.reader.token}` };
  const reference = await fetchBody('CodexFlow service', context.service.url + CHEAP_PATH, { headers });
  const bodyFile = join(context.workspace.root, 'permissions.json');
  writeFileSync(bodyFile, reference.body);

  const bare = await startBaseline(context, {
    name: 'bare node:http',
    script: 'bare-static.mjs',
    env: {
      BENCH_STATIC_PATH: CHEAP_PATH,
      BENCH_STATIC_BODY_FILE: bodyFile,
      BENCH_STATIC_CONTENT_TYPE: reference.headers.get('content-type') ?? 'application/json',
    },
  });
  context.cleanups.push(bare);
  const plain = await startBaseline(context, { name: 'node:http + crypto.verify', script: 'plain-node.mjs' });
  context.cleanups.push(plain);
  const variants = [
    { key: 'service', label: 'CodexFlow service', url: context.service.url + CHEAP_PATH, headers, pid: context.service.pid },
    { key: 'bare', label: 'bare node:http', url: bare.url + CHEAP_PATH, headers, pid: bare.pid },
    { key: 'plain', label: 'node:http + crypto.verify', url: plain.url + CHEAP_PATH, headers, pid: plain.pid },
  ];
  const bytes = await requireIdenticalBodies(variants.map((variant) => ({ label: variant.label, url: variant.url, init: { headers } })));
  const measured = await measureInterleaved(context, {
    name: 'permissions',
    variants,
    connections: context.options.profile.cheapConnections,
  });
  return {
    bytes,
    measured,
    vsBare: ratio(measured, 'service', 'bare'),
    p99VsBare: ratio(measured, 'service', 'bare', 'p99'),
    vsPlain: ratio(measured, 'service', 'plain'),
  };
}
