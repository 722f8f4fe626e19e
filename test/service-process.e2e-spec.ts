import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import { afterEach, describe, expect, it } from '@jest/globals';

import {
  createTempDir,
  runBuiltEntryPoint,
  type ServiceProcess,
  startServiceProcess,
  type TempDir,
} from '@codexflow/testing';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c3JfMTIzIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIz';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const status = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return !/^\d+ \(.*\) Z /.test(status);
}

function childPids(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return children === '' ? [] : children.split(' ').map(Number);
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) {
      return true;
    }
    await delay(50);
  }
  return condition();
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('service process', () => {
  let service: ServiceProcess | undefined;
  let dataDir: TempDir | undefined;

  afterEach(async () => {
    if (service !== undefined && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    dataDir?.remove();
    service = undefined;
    dataDir = undefined;
  });

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path });
    const body = '{"name":"in flight"}';

    const socket = await openSocket(service.port);
    const response = readAll(socket);
    socket.write(
      `POST /v1/nothing-here HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    );
    await delay(200);

    service.child.kill('SIGTERM');
    await delay(300);
    await expect(openSocket(service.port)).rejects.toThrow(/ECONNREFUSED/);
    socket.end(body.slice(5));

    expect(await response).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(await service.exited).toBe(0);
    expect(service.output().join('\n')).toMatch(/shutdown complete/);
  });

  it('turns readiness to 503 on SIGTERM and serves through the delay', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path, SHUTDOWN_DELAY_SECONDS: '2' });
    const base = `http://127.0.0.1:${service.port}`;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);

    service.child.kill('SIGTERM');
    await delay(300);

    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/v1/nothing-here`)).status).toBe(404);
    expect(await service.exited).toBe(0);
    // The 503s of a drain are expected: warnings without a stack, no error lines.
    const entries = service.output().map((line) => JSON.parse(line) as Record<string, unknown>);
    const readiness = entries.filter(
      (entry) =>
        entry.msg === 'request completed' &&
        entry.res !== undefined &&
        (entry.res as { statusCode?: number }).statusCode === 503,
    );
    expect(readiness.map((entry) => [entry.level, entry.err])).toEqual([[40, undefined]]);
    expect(entries.filter((entry) => (entry.level as number) >= 50)).toEqual([]);
  });

  it('ignores a repeated SIGTERM while it drains', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path, SHUTDOWN_DELAY_SECONDS: '2' });
    const base = `http://127.0.0.1:${service.port}`;

    service.child.kill('SIGTERM');
    await delay(200);
    service.child.kill('SIGTERM');
    service.child.kill('SIGINT');
    await delay(300);

    expect((await fetch(`${base}/health/ready`)).status).toBe(503);
    expect((await fetch(`${base}/v1/nothing-here`)).status).toBe(404);
    expect(await service.exited).toBe(0);
    expect(service.output().join('\n')).toMatch(/received SIGTERM again/);
  });

  it('stops its embedded database when it is killed', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path });
    const [databasePid] = childPids(service.child.pid!);
    expect(databasePid).toBeDefined();
    expect(isRunning(databasePid!)).toBe(true);

    service.child.kill('SIGKILL');
    await service.exited;

    expect(await waitUntil(() => !isRunning(databasePid!), 10_000)).toBe(true);
  });

  it('masks secrets and e-mail addresses in its request logs', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path });

    await fetch(`http://127.0.0.1:${service.port}/v1/login?token=query-secret-123456`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${JWT}`,
        cookie: 'cf_access=cookie-secret-123456',
        'content-type': 'application/json',
        'x-request-id': 'log-check-1',
      },
      body: JSON.stringify({ email: 'margaret.hamilton@example.com', password: 'body-password-1' }),
    });
    service.child.kill('SIGTERM');
    await service.exited;

    const output = service.output().join('\n');
    for (const secret of [
      JWT,
      'query-secret-123456',
      'cookie-secret-123456',
      'body-password-1',
      'margaret.hamilton',
    ]) {
      expect(output).not.toContain(secret);
    }
    const requestLine = service
      .output()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => (entry.req as { id?: string } | undefined)?.id === 'log-check-1');
    expect(requestLine).toMatchObject({
      msg: 'request completed',
      req: { id: 'log-check-1', method: 'POST', path: '/v1/login' },
      res: { statusCode: 404 },
    });
    expect(typeof requestLine?.durationMs).toBe('number');
  });

  it('logs requests rejected before routing', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path });
    const url = `http://127.0.0.1:${service.port}/v1/anything`;

    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'rejected-json' },
      body: '{bad',
    });
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'rejected-type' },
      body: 'plain',
    });
    service.child.kill('SIGTERM');
    await service.exited;

    const entries = service.output().map((line) => JSON.parse(line) as Record<string, unknown>);
    const statusOf = (id: string) =>
      entries.find((entry) => entry.requestId === id && entry.msg === 'request completed')?.res;
    expect(statusOf('rejected-json')).toEqual({ statusCode: 400 });
    expect(statusOf('rejected-type')).toEqual({ statusCode: 415 });
  });

  it('shuts down cleanly on Ctrl-C to its process group', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path }, 60_000, { detached: true });
    const [databasePid] = childPids(service.child.pid!);

    process.kill(-service.child.pid!, 'SIGINT');

    expect(await service.exited).toBe(0);
    const output = service.output().join('\n');
    expect(output).toMatch(/embedded database stopped/);
    expect(output).not.toMatch(/exited unexpectedly/);
    expect(await waitUntil(() => !isRunning(databasePid!), 10_000)).toBe(true);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    dataDir = createTempDir();
    service = await startServiceProcess({ DATA_DIR: dataDir.path });
    const secondDataDir = createTempDir();
    const second = runBuiltEntryPoint('apps/api/src/main.js', [], {
      DATA_DIR: secondDataDir.path,
      HOST: '127.0.0.1',
      PORT: String(service.port),
    });

    expect(await second.exited).toBe(1);
    secondDataDir.remove();
    expect(second.output().join('\n')).toMatch(
      /could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
  });

  it('fails to start with JSON logs when the database is unreachable', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const started = runBuiltEntryPoint('apps/api/src/main.js', [], {
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://app:db-password-123@127.0.0.1:1/codexflow',
      JWT_PRIVATE_KEYS: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      HOST: '127.0.0.1',
      PORT: '0',
    });

    expect(await started.exited).toBe(1);
    const output = started.output();
    expect(output.join('\n')).not.toContain('db-password-123');
    expect(output.at(-1)).toMatch(
      /^CodexFlow could not start: .*(ECONNREFUSED|Server selection timed out)/,
    );
    for (const line of output.slice(0, -1)) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });

  it('refuses to start in production without MONGODB_URI', async () => {
    const started = runBuiltEntryPoint('apps/api/src/main.js', [], {
      NODE_ENV: 'production',
      MONGODB_URI: '',
    });

    expect(await started.exited).toBe(1);
    expect(started.output().join('\n')).toMatch(/MONGODB_URI is required when NODE_ENV=production/);
  });

  it('lists every configuration problem and exits 1', async () => {
    const started = runBuiltEntryPoint('apps/api/src/main.js', [], {
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      ACCESS_TOKEN_TTL: '3h',
    });

    expect(await started.exited).toBe(1);
    const output = started.output().join('\n');
    expect(output).toMatch(/Invalid configuration \(3 problems\)/);
    expect(output).toMatch(/PORT must be an integer between 0 and 65535/);
    expect(output).toMatch(/LOG_LEVEL must be one of/);
    expect(output).toMatch(/ACCESS_TOKEN_TTL must be between 1 second and 1 hour/);
  });
});

describe('jobs entry point', () => {
  it('lists its commands with help', async () => {
    const started = runBuiltEntryPoint('apps/jobs/src/main.js', ['help'], {});

    expect(await started.exited).toBe(0);
    expect(started.output().join('\n')).toMatch(/Commands:\n\s+help\s+List the available commands/);
  });

  it('exits 2 on an unknown command', async () => {
    const started = runBuiltEntryPoint('apps/jobs/src/main.js', ['no-such-job'], {});

    expect(await started.exited).toBe(2);
    expect(started.output().join('\n')).toMatch(/Unknown command "no-such-job"/);
  });
});
