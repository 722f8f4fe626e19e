import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const LAUNCHER_FILES = ['go.mod', 'go.sum', 'main.go'];

export class EmbeddedDatabaseUnavailableError extends Error {
  override name = 'EmbeddedDatabaseUnavailableError';
}

/** Finds the project root, the nearest folder above `start` that contains tools/ferretdb. */
export function findProjectRoot(start: string): string {
  let folder = start;
  while (!existsSync(join(folder, 'tools', 'ferretdb', 'go.mod'))) {
    const parent = dirname(folder);
    if (parent === folder) {
      throw new EmbeddedDatabaseUnavailableError(
        `Cannot find tools/ferretdb above ${start}; run the service from a CodexFlow checkout or set MONGODB_URI`,
      );
    }
    folder = parent;
  }
  return folder;
}

function hashSources(sourceDir: string): string {
  const hash = createHash('sha256');
  for (const file of LAUNCHER_FILES) {
    hash.update(file).update(readFileSync(join(sourceDir, file)));
  }
  return hash.digest('hex');
}

/**
 * Returns the path of the FerretDB launcher, building it with Go into the
 * git-ignored `.tools/bin` the first time and again only when its sources
 * change.
 */
export function ensureFerretDbBinary(
  projectRoot: string,
  log: (message: string) => void = () => {},
): string {
  const sourceDir = join(projectRoot, 'tools', 'ferretdb');
  const binDir = join(projectRoot, '.tools', 'bin');
  const binary = join(binDir, 'ferretdb-embedded');
  const stampFile = `${binary}.sha256`;
  const sourceHash = hashSources(sourceDir);

  if (existsSync(binary) && existsSync(stampFile)) {
    if (readFileSync(stampFile, 'utf8').trim() === sourceHash) {
      return binary;
    }
  }

  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (goVersion.error !== undefined || goVersion.status !== 0) {
    throw new EmbeddedDatabaseUnavailableError(
      'The embedded database (FerretDB 1.24 on SQLite) is built from source and needs Go 1.24 or newer ' +
        'on the PATH: install it from https://go.dev/dl, or set MONGODB_URI to a running MongoDB.',
    );
  }

  log(
    'building the embedded database (FerretDB 1.24) with Go; the first build takes a minute or two',
  );
  mkdirSync(binDir, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  const build = spawnSync('go', ['build', '-trimpath', '-o', partial, '.'], {
    cwd: sourceDir,
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (build.status !== 0) {
    const output = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim().split('\n').slice(-20);
    throw new EmbeddedDatabaseUnavailableError(
      `Building FerretDB with Go failed (go build in ${sourceDir}):\n${output.join('\n')}`,
    );
  }

  renameSync(partial, binary);
  writeFileSync(stampFile, `${sourceHash}\n`);
  return binary;
}
