import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

import {
  EmbeddedDatabaseUnavailableError,
  ensureFerretDbBinary,
  findProjectRoot,
} from './ferretdb-binary.js';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

type DatabaseProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** Returns the FerretDB launcher, building it first when it is missing or outdated. */
export function prepareEmbeddedDatabase(log?: (message: string) => void): string {
  return ensureFerretDbBinary(findProjectRoot(import.meta.dirname), log);
}

/** Processes to kill if this one exits without stopping them first. */
const running = new Set<DatabaseProcess>();
process.once('exit', () => {
  for (const child of running) {
    child.kill('SIGKILL');
  }
});

/**
 * A FerretDB child process on a free loopback port with its SQLite files in
 * `dataDir`. It exits when this process exits, even after SIGKILL, because it
 * watches its standard input, which closes with this process.
 */
export class EmbeddedDatabase {
  private stopping = false;

  private constructor(
    readonly uri: string,
    private readonly child: DatabaseProcess,
  ) {}

  static async start(
    dataDir: string,
    log: (line: string) => void = () => {},
  ): Promise<EmbeddedDatabase> {
    const binary = prepareEmbeddedDatabase(log);
    const directory = join(dataDir, 'ferretdb');
    mkdirSync(directory, { recursive: true, mode: 0o700 });

    // A process group of its own keeps a terminal's Ctrl-C away from the server,
    // so it stops only when this process stops it or exits.
    const child = spawn(binary, ['-data-dir', directory, '-listen-addr', '127.0.0.1:0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    createInterface({ input: child.stderr }).on('line', log);

    try {
      const uri = await readListeningUri(child);
      const database = new EmbeddedDatabase(uri, child);
      child.once('exit', (code, signal) => {
        if (!database.stopping) {
          log(`embedded database exited unexpectedly (code ${code}, signal ${signal})`);
        }
      });
      return database;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops the server and waits for it to exit, killing it if it takes too long. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

function readListeningUri(child: DatabaseProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      reject(
        new EmbeddedDatabaseUnavailableError(
          `FerretDB did not start within ${START_TIMEOUT_MS} ms`,
        ),
      );
    }, START_TIMEOUT_MS);

    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new EmbeddedDatabaseUnavailableError(
          `FerretDB exited before it accepted connections (code ${code}, signal ${signal}); see its log above`,
        ),
      );
    });
  });
}
