// Installs redis-server from the Debian package when it is missing, so that
// `npm test` on a fresh machine can start the real Redis the multi-replica
// tests need. Tests start their own servers on free loopback ports; nothing
// here starts or configures a system service.
import { spawnSync } from 'node:child_process';

const installed = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

if (installed()) {
  process.exit(0);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasSudo = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!isRoot && !hasSudo) {
  console.error(
    'redis-server is missing and this user cannot install packages; run "apt-get install redis-server" as root.',
  );
  process.exit(1);
}

const asRoot = (args) => (isRoot ? args : ['sudo', '-n', ...args]);
const run = (args) => {
  const [command, ...rest] = asRoot(args);
  return spawnSync(command, rest, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  }).status;
};

console.log('Installing redis-server from the Debian packages (apt-get)...');
if (
  run(['apt-get', 'update', '-qq']) !== 0 ||
  run(['apt-get', 'install', '-y', '-qq', 'redis-server']) !== 0
) {
  console.error('Installing redis-server failed; see the apt-get output above.');
  process.exit(1);
}
if (!installed()) {
  console.error('redis-server still does not run after the install.');
  process.exit(1);
}
