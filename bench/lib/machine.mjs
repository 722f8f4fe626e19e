// Description of the machine the numbers come from, and the split of its
// cores between the measured servers and the load generator.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuModel() {
  const model = os.cpus()[0]?.model?.trim();
  if (model) {
    return model;
  }
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function hasTaskset() {
  const probe = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Returns a taskset core list such as `0` or `2-3` for the cores from `first` to `last`. */
function coreList(first, last) {
  return first === last ? String(first) : `${first}-${last}`;
}

/**
 * Describes the machine and splits its cores: the lower half runs the
 * servers and the database, the upper half the load generator. With one
 * core, or without taskset, nothing is pinned.
 */
export function describeMachine() {
  const cores = os.availableParallelism();
  const taskset = hasTaskset();
  const pinned = taskset && cores >= 2;
  const serverCount = Math.floor(cores / 2);
  return {
    cpuModel: cpuModel(),
    cores,
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    taskset,
    pinned,
    serverCores: pinned ? coreList(0, serverCount - 1) : null,
    loadCores: pinned ? coreList(serverCount, cores - 1) : null,
    allCores: pinned ? coreList(0, cores - 1) : null,
  };
}
