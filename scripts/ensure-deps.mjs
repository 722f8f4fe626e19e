// Installs the locked dependencies with `npm ci` when node_modules is missing
// or was installed from a different package-lock.json, so `npm start` and
// `npm test` work on a fresh clone without a separate install step.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const stampFile = join(root, 'node_modules', '.codexflow-lock.sha256');
const lockHash = createHash('sha256')
  .update(readFileSync(join(root, 'package-lock.json')))
  .digest('hex');

if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === lockHash) {
  process.exit(0);
}

console.log('Installing dependencies from package-lock.json (npm ci)...');
const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
if (install.status !== 0) {
  console.error('npm ci failed; fix the error above and run the command again.');
  process.exit(install.status ?? 1);
}
writeFileSync(stampFile, `${lockHash}\n`);
