// Command line of `npm run bench`.
import { parseArgs } from 'node:util';

const USAGE = `Usage: npm run bench -- [options]

  --quick               a run of a minute or two: fewer, shorter rounds (for CI)
  --rounds N            measured rounds of each comparison (quick 2, full 5)
  --window SECONDS      length of one measured load run (quick 3, full 10)
  --only LIST           comma-separated scenarios: list, cheap, micro, bodies,
                        memory, login, toggles (default: all)
  --mongodb-uri URI     measure against this MongoDB server instead of the
                        embedded FerretDB; the run uses a database of its own
                        and drops it at the end
  --service-env K=V     extra environment variable for the measured service
                        (repeatable)
  --service-node-arg A  extra Node.js option for the measured service, such as
                        --trace-gc (repeatable)
  --seed-command CMD    seed with CMD (words split on spaces) instead of
                        "node dist/apps/jobs/src/main.js demo:seed --json"
  --cpu-prof            start the service with node --cpu-prof and list its
                        hottest functions (slows the service: numbers are
                        then for diagnosis only)
  --write / --no-write  replace the generated section of docs/benchmarks.md
                        (default: full runs write, --quick runs do not)
  --out FILE            the file to write instead of docs/benchmarks.md
  --strict              exit 1 when a target is missed, not only on failures
  --keep                keep the temporary folder with the logs
  --help                this text
`;

const PROFILES = {
  quick: {
    name: 'quick',
    rounds: 2,
    windowSeconds: 3,
    warmupSeconds: 1,
    minRequests: 1,
    listConnections: 1,
    cheapConnections: 16,
    loginRounds: 1,
    bodyAttempts: 1,
    databaseAttempts: 1,
    memorySeconds: 12,
    memorySampleMs: 500,
    microRounds: 3,
    microScale: 0.2,
  },
  full: {
    name: 'full',
    rounds: 5,
    windowSeconds: 10,
    warmupSeconds: 3,
    minRequests: 4,
    listConnections: 4,
    cheapConnections: 16,
    loginRounds: 3,
    bodyAttempts: 3,
    databaseAttempts: 3,
    memorySeconds: 120,
    memorySampleMs: 1000,
    microRounds: 7,
    microScale: 1,
  },
};

export const SCENARIOS = ['list', 'cheap', 'micro', 'bodies', 'memory', 'login', 'toggles'];

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      window: { type: 'string' },
      only: { type: 'string' },
      'mongodb-uri': { type: 'string' },
      'service-env': { type: 'string', multiple: true, default: [] },
      'service-node-arg': { type: 'string', multiple: true, default: [] },
      'seed-command': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean', default: false },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      strict: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }

  const profile = { ...PROFILES[values.quick ? 'quick' : 'full'] };
  const positive = (name, raw) => {
    const number = Number(raw);
    if (!Number.isFinite(number) || number <= 0) {
      throw new Error(`--${name} must be a positive number`);
    }
    return number;
  };
  if (values.rounds !== undefined) {
    profile.rounds = Math.round(positive('rounds', values.rounds));
  }
  if (values.window !== undefined) {
    profile.windowSeconds = positive('window', values.window);
  }

  const only = values.only === undefined ? SCENARIOS : values.only.split(',').map((name) => name.trim());
  const unknown = only.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  }

  const serviceEnv = {};
  for (const entry of values['service-env']) {
    const separator = entry.indexOf('=');
    if (separator < 1) {
      throw new Error(`--service-env needs NAME=VALUE, got "${entry}"`);
    }
    serviceEnv[entry.slice(0, separator)] = entry.slice(separator + 1);
  }

  return {
    profile,
    quick: values.quick,
    scenarios: new Set(only),
    mongodbUri: values['mongodb-uri'],
    serviceEnv,
    serviceNodeArgs: values['service-node-arg'],
    seedCommand: values['seed-command']?.split(/\s+/).filter(Boolean),
    cpuProf: values['cpu-prof'],
    write: values['no-write'] ? false : (values.write ?? !values.quick),
    out: values.out,
    strict: values.strict,
    keep: values.keep,
    argv,
  };
}
