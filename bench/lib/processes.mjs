// Child processes of the harness: started on a given set of cores, watched
// through /proc, and stopped by their own process id only.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const CLOCK_TICKS_PER_SECOND = 100;

/** Children the harness started and has not seen exit, for stopping them when it is interrupted. */
const running = new Set();

/**
 * Returns a loopback port that was free a moment ago.
 * NOTE: another process may take the port before the child binds it, and the child then fails to start.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command` pinned to `cores` (a taskset list, or null for no pinning),
 * with its stdout and stderr appended to `logPath`. taskset replaces itself
 * with the command, so the child's pid is the command's pid.
 */
export function startProcess({ name, command, args, env, cores, logPath, cwd }) {
  const log = openSync(logPath, 'a');
  const [file, argv] = cores === null ? [command, args] : ['taskset', ['-c', cores, command, ...args]];
  const child = spawn(file, argv, { env, cwd, stdio: ['ignore', log, log] });
  closeSync(log);
  child.once('error', () => undefined);
  return { ...trackProcess(child), name, logPath };
}

/** Returns a handle for `child` that stopProcess and stopAllProcesses accept. */
export function trackProcess(child) {
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const handle = { child, pid: child.pid, exited, running: () => child.exitCode === null && child.signalCode === null };
  running.add(handle);
  exited.then(() => running.delete(handle));
  return handle;
}

/** Stops every child the harness started that is still running. */
export function stopAllProcesses() {
  return Promise.allSettled([...running].map((handle) => stopProcess(handle)));
}

/** Sends SIGTERM, then SIGKILL when the process has not exited within `timeoutMs`. */
export async function stopProcess(handle, timeoutMs = 15_000) {
  if (!handle.running()) {
    return handle.exited;
  }
  handle.child.kill('SIGTERM');
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), timeoutMs);
  const result = await handle.exited;
  clearTimeout(timer);
  return result;
}

/**
 * Empties a log that has grown past `maxBytes`. The child appends to it
 * (O_APPEND), so its next line lands at the new end rather than past a hole.
 */
export function trimLog(path, maxBytes = 64 * 1024 * 1024) {
  try {
    if (statSync(path).size > maxBytes) {
      truncateSync(path, 0);
    }
  } catch {
    // A log that is gone needs no trimming.
  }
}

/** Returns the last `count` lines of a log file, for error messages. */
export function tailLog(path, count = 30) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `url` until it returns 2xx. Fails when the process exits or the time runs out. */
export async function waitForHttp(url, handle, { timeoutMs = 90_000, headers = {} } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer';
  while (Date.now() < deadline) {
    if (handle !== undefined && !handle.running()) {
      throw new Error(`${handle.name} exited before it responded to ${url}:\n${tailLog(handle.logPath)}`);
    }
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.ok) {
        return;
      }
      lastProblem = `status ${response.status}`;
    } catch (error) {
      lastProblem = error.message;
    }
    await delay(200);
  }
  const log = handle === undefined ? '' : `\n${tailLog(handle.logPath)}`;
  throw new Error(`${url} did not return 2xx within ${timeoutMs} ms (last: ${lastProblem})${log}`);
}

/** Pins every thread of a running process, for the processes the harness does not spawn itself. */
export function pinProcess(pid, cores) {
  if (cores === null) {
    return;
  }
  const result = spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`taskset could not pin process ${pid}: ${result.stderr.trim()}`);
  }
}

/** Returns the CPU time (user and system, all threads) a process has used, in seconds. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Returns the resident set size of a process in bytes, from /proc/<pid>/status. */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/**
 * Waits until the processes have used less than `busyShare` of one core over
 * `quietMs`, so requests a finished load run left behind (a database still
 * sorting for a client that has gone) do not spill into the next measurement.
 */
export async function waitForIdle(pids, { quietMs = 400, busyShare = 0.1, timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const before = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    await delay(quietMs);
    const used = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - before;
    if (used < (busyShare * quietMs) / 1000 || Date.now() > deadline) {
      return;
    }
  }
}
