// Validates the Kubernetes manifests in deploy/ (or in the folder given as the
// first argument) against the strict JSON schemas of Kubernetes 1.30 and 1.37,
// without network access once the validator is installed.
//
// The schemas and the validation library come from the PyPI package
// kubernetes-validate, pinned below with its dependencies and installed with
// pip into the git-ignored .tools/kubernetes-validate on the first run. Later
// runs reuse it until the pins or the Python minor version change.
// scripts/validate-manifests.py then checks four things:
//   - every YAML file in the folder except kustomization.yaml, including those
//     in examples/ and optional/. Custom resources such as the ServiceMonitor
//     are skipped with a note, because their CRD schemas are not among the
//     Kubernetes ones.
//   - kustomization.yaml lists every manifest beside it, nothing from
//     examples/ or optional/, and no Secret.
//   - the output of `kubectl kustomize`, when kubectl is on the PATH, which
//     also shows that kustomize accepts the kustomization.
//   - the ports that manifests refer to by name, which the schemas cannot
//     check. A probe's port must be declared by its container, and a
//     Service's targetPort or a NetworkPolicy's ingress port by a pod it
//     selects. An Ingress backend must name a port of its Service.
// Exits non-zero on any error.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const toolDir = join(root, '.tools', 'kubernetes-validate');
const stampFile = join(toolDir, '.codexflow-install.json');
const driver = join(import.meta.dirname, 'validate-manifests.py');

// kubernetes-validate with its whole dependency tree, installed with --no-deps
// so pip resolves nothing and every run gets the same files. rpds-py and
// PyYAML ship compiled wheels per Python minor version.
const PACKAGES = [
  'kubernetes-validate==1.37.0',
  'jsonschema==4.26.0',
  'jsonschema-specifications==2025.9.1',
  'referencing==0.37.0',
  'rpds-py==2026.9.1',
  'attrs==26.1.0',
  'PyYAML==6.0.4',
  'typing-extensions==4.16.0',
  'importlib-resources==7.1.0',
  'packaging==26.4',
];
// The oldest Kubernetes release these manifests target, and the newest that
// kubernetes-validate 1.37.0 has schemas for.
const KUBERNETES_VERSIONS = ['1.30.0', '1.37.0'];
const CUSTOM_RESOURCE_GROUPS = ['monitoring.coreos.com'];
// rpds-py 2026.9.1 requires Python 3.11 or newer.
const MIN_PYTHON = { major: 3, minor: 11 };
const KUBECTL_TIMEOUT_MS = 60_000;

const python = process.env.PYTHON ?? 'python3';

function fail(message) {
  console.error(message);
  process.exit(2);
}

/** Returns the Python minor version ("3.11"), or exits when Python is missing or too old. */
function checkPython() {
  const probe = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  });
  if (probe.error !== undefined || probe.status !== 0) {
    fail(
      `Cannot run ${python}: the manifest validator needs Python ${MIN_PYTHON.major}.${MIN_PYTHON.minor} ` +
        'or newer with pip (on Debian: apt-get install python3 python3-pip), or set PYTHON to its path.',
    );
  }
  const version = probe.stdout.trim();
  const [major, minor] = version.split('.').map(Number);
  if (major !== MIN_PYTHON.major || minor < MIN_PYTHON.minor) {
    fail(
      `${python} is Python ${version}, but the manifest validator needs ` +
        `${MIN_PYTHON.major}.${MIN_PYTHON.minor} or newer; set PYTHON to a newer interpreter.`,
    );
  }
  return version;
}

/** Installs the pinned packages into .tools/kubernetes-validate unless the same set is there. */
function ensureValidator(pythonVersion) {
  const expected = `${JSON.stringify({ python: pythonVersion, packages: PACKAGES })}\n`;
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === expected) {
    return;
  }

  console.log(
    `Installing ${PACKAGES[0]} and its dependencies into .tools/kubernetes-validate (pip)...`,
  );
  // pip writes into a folder of its own first, so an interrupted install or a
  // second run at the same time never leaves a half-filled tool folder.
  const partial = `${toolDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const install = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--no-deps',
      '--only-binary=:all:',
      '--target',
      partial,
      ...PACKAGES,
    ],
    { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  if (install.error !== undefined || install.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    fail(
      `pip install into ${partial} failed (see above). It needs the PyPI registry and ` +
        `'${python} -m pip' (on Debian: apt-get install python3-pip); run the command again once both work.`,
    );
  }
  writeFileSync(join(partial, '.codexflow-install.json'), expected);

  rmSync(toolDir, { recursive: true, force: true });
  try {
    renameSync(partial, toolDir);
  } catch (error) {
    // Another run installed the same set between rmSync and renameSync.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== expected) {
      throw error;
    }
  }
}

/** Lists the YAML files under `folder`, sorted, without kustomization files. */
function findManifests(folder) {
  const files = [];
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const isYaml = entry.name.endsWith('.yaml') || entry.name.endsWith('.yml');
    if (entry.isFile() && isYaml && !/^kustomization\.ya?ml$/.test(entry.name)) {
      files.push(join(entry.parentPath, entry.name));
    }
  }
  return files.sort();
}

/** Returns `path` relative to the working folder when it lies inside it, else absolute. */
function displayPath(path) {
  const relativePath = relative(process.cwd(), path);
  if (relativePath === '') {
    return '.';
  }
  return relativePath.startsWith('..') ? path : relativePath;
}

function runDriver(args, input) {
  const versionArgs = KUBERNETES_VERSIONS.flatMap((version) => ['--kubernetes-version', version]);
  const groupArgs = CUSTOM_RESOURCE_GROUPS.flatMap((group) => ['--custom-resource-group', group]);
  // -s leaves out the user's site-packages, and PYTHONPATH puts the pinned
  // packages before any other copy of them.
  const run = spawnSync(python, ['-s', '-B', driver, ...versionArgs, ...groupArgs, ...args], {
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'],
    env: { ...process.env, PYTHONPATH: toolDir },
  });
  if (run.error !== undefined) {
    fail(`Cannot run ${python} ${driver}: ${run.error.message}`);
  }
  return run.status ?? 1;
}

/** Validates the output of `kubectl kustomize`, or prints a note and returns 0 when kubectl is missing. */
function validateRendered(folder, label) {
  const render = spawnSync('kubectl', ['kustomize', folder], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: KUBECTL_TIMEOUT_MS,
  });
  if (render.error?.code === 'ENOENT') {
    console.log(`NOTE kubectl is not on the PATH, so ${label} was not rendered and checked`);
    return 0;
  }
  if (render.error !== undefined || render.status !== 0) {
    const reason = render.error?.message ?? render.stderr.trim();
    console.log(`ERROR ${label} failed: ${reason}`);
    return 1;
  }
  return runDriver(['--label', label, '-'], render.stdout);
}

/**
 * Checks that the Dockerfile starts the service with the command of the api
 * container in deploy/deployment.yaml, Node.js options included. Returns the exit status.
 */
function checkImageCommand() {
  const commandOf = (text, pattern) => {
    const match = [...text.matchAll(pattern)].find((candidate) => candidate[1].includes('apps/api/src/main.js'));
    return match === undefined ? undefined : JSON.stringify(JSON.parse(match[1]));
  };
  const image = commandOf(readFileSync(join(root, 'Dockerfile'), 'utf8'), /^CMD (\[.*\])\s*$/gm);
  const deployed = commandOf(readFileSync(join(root, 'deploy', 'deployment.yaml'), 'utf8'), /^\s*command: (\[.*\])\s*$/gm);
  if (image === undefined || image !== deployed) {
    console.log(`ERROR the Dockerfile's CMD ${image} differs from the api container's command ${deployed} in deploy/deployment.yaml`);
    return 1;
  }
  console.log(`The Dockerfile's CMD matches the api container's command: ${image}`);
  return 0;
}

const folderArgument = process.argv[2];
if (folderArgument === '--help' || folderArgument === '-h') {
  console.log(
    'Usage: node scripts/validate-manifests.mjs [folder]\n' +
      'Validates the manifests in folder (default: the deploy folder of this repository).',
  );
  process.exit(0);
}
const folder = folderArgument === undefined ? join(root, 'deploy') : resolve(folderArgument);
if (!existsSync(join(folder, 'kustomization.yaml'))) {
  fail(`${folder} has no kustomization.yaml; pass the folder of the manifests, such as deploy`);
}

ensureValidator(checkPython());
const display = displayPath(folder);
const manifests = findManifests(folder).map(displayPath);
const filesStatus = runDriver(['--kustomization', display, ...manifests]);
const renderedStatus = validateRendered(display, `kubectl kustomize ${display}`);
const imageStatus = folderArgument === undefined ? checkImageCommand() : 0;
process.exit([filesStatus, renderedStatus, imageStatus].find((status) => status !== 0) ?? 0);
