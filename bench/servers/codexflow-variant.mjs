// The built service with parts of its pipeline left out, for the toggle
// comparisons. BENCH_OMIT lists the parts (helmet, rateLimits,
// auditInterceptor); everything else comes from the same environment as the
// service itself. Only this benchmark entry reads BENCH_OMIT: the service's
// own main.js has no way to leave a safeguard out.
import 'reflect-metadata';

import { createApp } from '../../dist/apps/api/src/bootstrap.js';
import { loadConfig } from '../../dist/libs/core/src/index.js';

const omit = (process.env.BENCH_OMIT ?? '')
  .split(',')
  .map((part) => part.trim())
  .filter((part) => part !== '');

const config = loadConfig(process.env);
const app = await createApp(config, { omit });
await app.listen(config.http.port, config.http.host);
process.stdout.write(`variant without ${omit.join(', ') || 'nothing'} listening on port ${config.http.port}\n`);

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
