// Service variants measured against the default service, interleaved in the
// same rounds. Each starts bench/servers/codexflow-variant.mjs, the built
// service created with `omit` (CreateAppOptions), which no environment
// variable of the service itself can reach. 'cheap' is the cheap
// authenticated route and 'list' the 50-task page; on the embedded database
// the list is bound by the database's full scans, so the cheap route shows
// what each part costs the pipeline.
export const TOGGLES = [
  { name: 'helmet off', omit: ['helmet'], routes: ['cheap'] },
  { name: 'throttler off', omit: ['rateLimits'], routes: ['cheap'] },
  { name: 'audit interceptor off', omit: ['auditInterceptor'], routes: ['cheap'] },
];
