// Service variants measured against the default service, interleaved in the
// same rounds. Each starts bench/servers/codexflow-variant.mjs, the built
// service created with `omit` (CreateAppOptions), which no environment
// variable of the service itself can reach. 'cheap' is the cheap
// authenticated route, 'list' the 50-task page, and 'update' a task update
// (PATCH /v1/tasks/:id) as the writer, each variant on a task of its own. On
// the embedded database the list is bound by the database's full scans, so
// the cheap route shows what each part costs the pipeline. The audit
// interceptor writes only for mutating requests, so it is measured on the
// update.
export const TOGGLES = [
  { name: 'helmet off', omit: ['helmet'], routes: ['cheap'] },
  { name: 'throttler off', omit: ['rateLimits'], routes: ['cheap'] },
  { name: 'audit interceptor off', omit: ['auditInterceptor'], routes: ['update'] },
  // The service without the Node.js options of deploy/deployment.yaml (its heap cap).
  { name: 'heap cap off', omit: [], deployedOptions: false, routes: ['cheap'] },
];
