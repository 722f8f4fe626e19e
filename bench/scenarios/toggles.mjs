// Runs the variants listed in bench/toggles.mjs against the default service.
import { join } from 'node:path';

import { REPO_ROOT, startService } from '../lib/environment.mjs';
import { stopProcess } from '../lib/processes.mjs';
import { measureInterleaved, ratio } from '../lib/rounds.mjs';
import { TOGGLES } from '../toggles.mjs';
import { CHEAP_PATH } from './cheap-route.mjs';
import { listPath } from './list.mjs';

export async function runToggles(context) {
  const { profile } = context.options;
  const results = [];
  for (const toggle of TOGGLES) {
    const variant = await startService(context, {
      name: `service ${toggle.name}`,
      entry: join(REPO_ROOT, 'bench/servers/codexflow-variant.mjs'),
      extraEnv: { ...context.options.serviceEnv, BENCH_OMIT: toggle.omit.join(',') },
    });
    try {
      const headers = { authorization: `Bearer ${context.reader.token}` };
      for (const route of toggle.routes ?? ['cheap']) {
        const path = route === 'list' ? listPath(context) : CHEAP_PATH;
        const measured = await measureInterleaved(context, {
          name: `${toggle.name} ${route}`,
          variants: [
            { key: 'default', label: 'default service', url: context.service.url + path, headers, pid: context.service.pid },
            { key: 'variant', label: toggle.name, url: variant.url + path, headers, pid: variant.pid },
          ],
          connections: route === 'list' ? profile.listConnections : profile.cheapConnections,
          timeoutSeconds: 180,
        });
        results.push({ name: toggle.name, omit: toggle.omit, route: path, measured, vsDefault: ratio(measured, 'variant', 'default') });
      }
    } finally {
      await stopProcess(variant);
    }
  }
  return { defined: TOGGLES.length, results };
}
