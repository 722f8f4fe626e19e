import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

const LISTENING = /CodexFlow API listening on http:\/\/[^:]+:(\d+)/;

export interface ServiceProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  port: number;
  /** Every stdout and stderr line printed so far. */
  output(): string[];
  /** Resolves with the exit code, or null when a signal ended the process. */
  exited: Promise<number | null>;
}

/** Path of a built entry point, such as `apps/api/src/main.js`; `npm run build` makes them. */
export function builtEntryPoint(relativePath: string): string {
  const path = join(process.cwd(), 'dist', relativePath);
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist; run "npm run build" before these tests`);
  }
  return path;
}

/** Runs a built entry point with `env` on top of this process's environment. */
export function runBuiltEntryPoint(
  relativePath: string,
  args: string[],
  env: Record<string, string>,
  options: { detached?: boolean } = {},
): Omit<ServiceProcess, 'port'> {
  const child = spawn(process.execPath, [builtEntryPoint(relativePath), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => lines, exited };
}

/**
 * Starts the built API as its own process on a free loopback port, as
 * `npm start` does, and waits until it listens.
 */
export async function startServiceProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
  options: { detached?: boolean } = {},
): Promise<ServiceProcess> {
  const started = runBuiltEntryPoint(
    'apps/api/src/main.js',
    [],
    { HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    options,
  );

  const port = await new Promise<number>((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = setInterval(() => {
      const match = started
        .output()
        .map((line) => LISTENING.exec(line))
        .find(Boolean);
      if (match) {
        clearInterval(poll);
        resolve(Number(match[1]));
      } else if (started.child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`the service did not start:\n${started.output().join('\n')}`));
      }
    }, 50);
  });

  return { ...started, port };
}
