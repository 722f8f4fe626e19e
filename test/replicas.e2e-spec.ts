import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { EmbeddedDatabase } from '@codexflow/core';
import {
  createTempDir,
  type RedisServer,
  type ServiceProcess,
  type SmtpSink,
  startRedisServer,
  startServiceProcess,
  startSmtpSink,
  type TempDir,
} from '@codexflow/testing';

import { type ClientRequest, type ClientResponse, requestFrom } from './support/client-address.js';
import { linkToken, STRONG_PASSWORD, uniqueEmail } from './support/identity.js';

const ADMIN = { email: 'replicas-admin@example.com', password: STRONG_PASSWORD };
const IP_LIMIT = 40;
const LOCK_THRESHOLD = 4;
const UNAUTHORIZED_THRESHOLD = 6;

/** Polls `probe` every 25 ms until it returns true; resolves with the milliseconds it took. */
async function within(timeoutMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`the condition did not hold within ${timeoutMs} ms`);
    }
    await delay(25);
  }
  return Date.now() - started;
}

describe('two replicas sharing one database and one Redis', () => {
  let dataDir: TempDir;
  let database: EmbeddedDatabase;
  let redis: RedisServer;
  let sink: SmtpSink;
  const replicas: ServiceProcess[] = [];

  const startReplica = async (): Promise<ServiceProcess> => {
    const replica = await startServiceProcess({
      DATA_DIR: dataDir.path,
      MONGODB_URI: `${database.uri}replicas`,
      REDIS_URL: redis.url,
      SMTP_URL: sink.url,
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      RATE_LIMIT_IP_MAX: String(IP_LIMIT),
      RATE_LIMIT_AUTH_MAX: '100000',
      LOGIN_LOCK_THRESHOLD: String(LOCK_THRESHOLD),
      ALERT_UNAUTHORIZED_PER_IP: String(UNAUTHORIZED_THRESHOLD),
      SHUTDOWN_DELAY_SECONDS: '1',
    });
    replicas.push(replica);
    return replica;
  };

  /** Sends a request to `replica` from the loopback address `from`. */
  const send = (
    replica: ServiceProcess,
    path: string,
    options: ClientRequest = {},
    from = '127.0.0.1',
  ): Promise<ClientResponse> => requestFrom(from, replica.port, path, options);

  const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

  /** Registers an account through `replica`, follows the mailed link, and signs in. */
  const signUp = async (replica: ServiceProcess): Promise<{ email: string; token: string }> => {
    const email = uniqueEmail('replica');
    const registered = await send(replica, '/v1/auth/register', {
      method: 'POST',
      json: { email, password: STRONG_PASSWORD, name: 'Replica User' },
    });
    expect(registered.status).toBe(202);
    const mail = await sink.waitForMail({ to: email, subject: /confirm your email address/i });
    const verified = await send(replica, '/v1/auth/verify-email', {
      method: 'POST',
      json: { token: linkToken(mail.links, '/verify-email') },
    });
    expect(verified.status).toBe(200);
    const signedIn = await send(replica, '/v1/auth/login', {
      method: 'POST',
      json: { email, password: STRONG_PASSWORD },
    });
    expect(signedIn.status).toBe(200);
    return { email, token: signedIn.body?.accessToken as string };
  };

  beforeAll(async () => {
    dataDir = createTempDir();
    database = await EmbeddedDatabase.start(dataDir.path);
    redis = await startRedisServer();
    sink = await startSmtpSink();
    // One after the other: the first creates the development keys in DATA_DIR, the second reads them.
    await startReplica();
    await startReplica();
  });

  afterAll(async () => {
    for (const replica of replicas) {
      if (replica.child.exitCode === null && replica.child.signalCode === null) {
        replica.child.kill('SIGKILL');
        await replica.exited;
      }
    }
    await sink.close();
    await redis.stop();
    await database.stop();
    dataDir.remove();
  });

  it('reports Redis in readiness', async () => {
    for (const replica of replicas) {
      const ready = await send(replica, '/health/ready');

      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
    }
  });

  it('counts one rate limit across both replicas', async () => {
    const from = '127.0.6.1';
    const remaining: number[] = [];
    for (let request = 0; request < IP_LIMIT; request += 1) {
      const response = await send(replicas[request % 2]!, '/v1/auth/csrf', {}, from);
      expect(response.status).toBe(200);
      remaining.push(Number(response.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual(Array.from({ length: IP_LIMIT }, (_, index) => IP_LIMIT - 1 - index));

    for (const replica of replicas) {
      const limited = await send(replica, '/v1/auth/csrf', {}, from);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
  });

  it('rejects on one replica, within a second, a token revoked through the other', async () => {
    const [first, second] = replicas as [ServiceProcess, ServiceProcess];
    const { token } = await signUp(first);
    expect((await send(second, '/v1/users/me', bearer(token))).status).toBe(200);

    const loggedOut = await send(first, '/v1/auth/logout', { method: 'POST', ...bearer(token) });
    expect(loggedOut.status).toBe(204);

    const tookMs = await within(1_000, async () => {
      const response = await send(second, '/v1/users/me', bearer(token));
      return response.status === 401;
    });
    expect(tookMs).toBeLessThan(1_000);
  });

  it('locks an account whose failed sign-ins were spread over both replicas', async () => {
    const { email } = await signUp(replicas[0]!);
    const wrong = { method: 'POST', json: { email, password: 'wrong password 123456' } };

    const statuses: number[] = [];
    for (let attempt = 0; attempt < LOCK_THRESHOLD; attempt += 1) {
      statuses.push((await send(replicas[attempt % 2]!, '/v1/auth/login', wrong)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);

    for (const replica of replicas) {
      const right = await send(replica, '/v1/auth/login', {
        method: 'POST',
        json: { email, password: STRONG_PASSWORD },
      });
      expect(right.status).toBe(429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('counts 401s on both replicas and blocks the address on both', async () => {
    const from = '127.0.6.60';
    const invalid = bearer('not-a-token');

    // Alternating replicas: the block comes after the threshold counted over both together.
    const statuses: number[] = [];
    for (let request = 0; request <= UNAUTHORIZED_THRESHOLD; request += 1) {
      statuses.push((await send(replicas[request % 2]!, '/v1/users/me', invalid, from)).status);
    }
    expect(statuses).toEqual(Array.from({ length: UNAUTHORIZED_THRESHOLD + 1 }, () => 401));

    for (const replica of replicas) {
      const tookMs = await within(1_000, async () => {
        const response = await send(replica, '/v1/auth/csrf', {}, from);
        return response.status === 403;
      });
      expect(tookMs).toBeLessThan(1_000);
    }
    // Other clients go on as before.
    expect((await send(replicas[1]!, '/v1/auth/csrf', {}, '127.0.6.61')).status).toBe(200);
  });

  it('serves a steady stream without one failure through a rolling restart', async () => {
    const { token } = await signUp(replicas[0]!);
    const pool = new Set<ServiceProcess>(replicas);
    const ready = new Set<ServiceProcess>(replicas);
    const failures: string[] = [];
    const servedBy = new Map<number, number>();
    let running = true;

    // The ingress: routes only to replicas whose readiness probe passed at the last poll.
    const probing = (async () => {
      while (running) {
        await Promise.all(
          [...pool].map(async (replica) => {
            const probe = await send(replica, '/health/ready').catch(() => undefined);
            if (probe?.status === 200) {
              ready.add(replica);
            } else {
              ready.delete(replica);
            }
          }),
        );
        await delay(100);
      }
    })();

    let sent = 0;
    const streaming = (async () => {
      while (running) {
        const targets = [...ready];
        const replica = targets[sent % targets.length];
        sent += 1;
        if (replica !== undefined) {
          // A new client address every 20 requests keeps the stream under the address limit.
          const from = `127.0.8.${(Math.floor(sent / 20) % 250) + 1}`;
          try {
            const response = await send(replica, '/v1/users/me', bearer(token), from);
            if (response.status !== 200) {
              failures.push(`${response.status} from port ${replica.port}`);
            }
            servedBy.set(replica.port, (servedBy.get(replica.port) ?? 0) + 1);
          } catch (error) {
            failures.push(`${(error as Error).message} from port ${replica.port}`);
          }
        }
        await delay(10);
      }
    })();

    const replace = async (old: ServiceProcess) => {
      old.child.kill('SIGTERM');
      expect(await old.exited).toBe(0);
      pool.delete(old);
      ready.delete(old);
      const successor = await startReplica();
      pool.add(successor);
      await within(10_000, () => Promise.resolve(ready.has(successor)));
    };

    await delay(500);
    const [first, second] = [...replicas] as [ServiceProcess, ServiceProcess];
    await replace(first);
    await replace(second);
    await delay(500);
    running = false;
    await Promise.all([probing, streaming]);

    expect(failures).toEqual([]);
    // Every replica, the stopped ones and their successors, served part of the stream.
    expect(servedBy.size).toBe(4);
    expect(sent).toBeGreaterThan(100);
  });

  it('fails closed while Redis is down and recovers when it returns', async () => {
    const live = replicas.filter((replica) => replica.child.exitCode === null);
    const [first, second] = live as [ServiceProcess, ServiceProcess];
    const { token: revoked } = await signUp(first);
    expect(
      (await send(first, '/v1/auth/logout', { method: 'POST', ...bearer(revoked) })).status,
    ).toBe(204);
    const { email, token } = await signUp(second);

    await redis.kill();

    for (const replica of [first, second]) {
      await within(3_000, async () => (await send(replica, '/health/ready')).status === 503);
      expect((await send(replica, '/health/live')).status).toBe(200);
      // A revoked token is never accepted; a valid one cannot be checked, so it waits for Redis.
      expect((await send(replica, '/v1/users/me', bearer(revoked))).status).not.toBe(200);
      const unchecked = await send(replica, '/v1/users/me', bearer(token));
      expect(unchecked.status).toBe(503);
      expect(unchecked.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Neither the rate limits nor the lockout state can be read, so sign-in does not go ahead.
      const signIn = await send(replica, '/v1/auth/login', {
        method: 'POST',
        json: { email, password: STRONG_PASSWORD },
      });
      expect(signIn.status).toBe(503);
      expect(JSON.stringify(signIn.body)).not.toMatch(/redis|ECONNREFUSED|127\.0\.0\.1/i);
      // A request rejected before routing keeps its own status when it cannot be counted.
      const unrouted = await send(replica, '/v1/no-such-route');
      expect(unrouted.status).toBe(404);
      expect(unrouted.headers['content-type']).toMatch(/^application\/problem\+json/);
    }

    await redis.restart();

    for (const replica of [first, second]) {
      await within(5_000, async () => (await send(replica, '/health/ready')).status === 200);
      expect((await send(replica, '/v1/users/me', bearer(token))).status).toBe(200);
      expect((await send(replica, '/v1/users/me', bearer(revoked))).status).toBe(401);
    }
  });
});
