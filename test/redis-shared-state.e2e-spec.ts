import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';

import { RedisSharedState } from '@codexflow/core';
import { type RedisServer, startRedisServer } from '@codexflow/testing';

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 3_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`the condition did not hold within ${timeoutMs} ms`);
    }
    await delay(20);
  }
}

describe(RedisSharedState.name, () => {
  let redis: RedisServer;
  const states: RedisSharedState[] = [];

  /** Connects a state as one replica would, and waits until it is ready. */
  const connect = async (database = ''): Promise<RedisSharedState> => {
    const state = new RedisSharedState(`${redis.url}${database}`);
    states.push(state);
    state.onModuleInit();
    await eventually(async () => {
      try {
        await state.ping();
        return true;
      } catch {
        return false;
      }
    });
    return state;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterEach(async () => {
    await Promise.all(states.splice(0).map((state) => state.onModuleDestroy()));
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('counts one window for every replica and refuses past the limit', async () => {
    const [first, second] = [await connect(), await connect()];

    const results = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      results.push(await (attempt % 2 === 0 ? first : second).take('window', 60_000, 4));
    }

    expect(results.map((result) => result.allowed)).toEqual([true, true, true, true, false, false]);
    expect(results.map((result) => result.count)).toEqual([1, 2, 3, 4, 4, 4]);
    expect(results[5]!.resetMs).toBeGreaterThan(58_000);
    expect(results[5]!.resetMs).toBeLessThanOrEqual(61_000);
  });

  it('lets hits expire with their window', async () => {
    const state = await connect();
    await state.take('short', 600, 1);

    expect((await state.take('short', 600, 1)).allowed).toBe(false);
    await delay(700);
    expect(await state.take('short', 600, 1)).toMatchObject({ allowed: true, count: 1 });
  });

  it('forgets a window on reset, and values on remove or expiry', async () => {
    const state = await connect();
    await state.hit('reset-me', 60_000);
    await state.reset('reset-me');
    await state.write('value', 'kept', 60_000);
    await state.write('brief', 'gone soon', 100);

    expect(await state.hit('reset-me', 60_000)).toBe(1);
    expect(await state.read('value')).toBe('kept');
    await state.remove('value');
    expect(await state.read('value')).toBeNull();
    await delay(200);
    expect(await state.read('brief')).toBeNull();
  });

  it('brings additions and removals of a set to every replica', async () => {
    const [first, second] = [await connect(), await connect()];
    const writerSet = first.expiringSet('members');
    const readerSet = second.expiringSet('members');
    await eventually(() => writerSet.synced && readerSet.synced);
    const changes: Array<[string, number | null]> = [];
    readerSet.onChange((member, expiresAtMs) => changes.push([member, expiresAtMs]));

    const expiresAtMs = Date.now() + 60_000;
    await writerSet.add('m1', expiresAtMs);
    await eventually(() => readerSet.has('m1'));
    await writerSet.delete('m1');
    await eventually(() => !readerSet.has('m1'));

    expect(changes).toEqual([
      ['m1', expiresAtMs],
      ['m1', null],
    ]);
  });

  it('loads what was added before a replica started, without the expired members', async () => {
    const first = await connect();
    const set = first.expiringSet('preloaded');
    await eventually(() => set.synced);
    await set.add('live', Date.now() + 60_000);
    await set.add('expiring', Date.now() + 100);
    await delay(200);

    const late = (await connect()).expiringSet('preloaded');
    await eventually(() => late.synced);

    expect(late.has('live')).toBe(true);
    expect(late.has('expiring')).toBe(false);
  });

  it('keeps the sets of two databases apart', async () => {
    const [first, sameDatabase, otherDatabase] = [
      await connect('/1'),
      await connect('/1'),
      await connect('/2'),
    ];
    const sets = [first, sameDatabase, otherDatabase].map((state) => state.expiringSet('apart'));
    await eventually(() => sets.every((set) => set.synced));

    await sets[0]!.add('m1', Date.now() + 60_000);
    await eventually(() => sets[1]!.has('m1'));
    await delay(200);

    expect(sets[2]!.has('m1')).toBe(false);
  });

  it('stays closed when the URL names a database Redis does not have', async () => {
    const state = new RedisSharedState(`${redis.url}/99`);
    states.push(state);
    state.onModuleInit();
    await delay(500);

    await expect(state.ping()).rejects.toThrow();
    await expect(state.take('missing-database', 60_000, 10)).rejects.toThrow();
    expect(state.expiringSet('missing-database').synced).toBe(false);
  });

  it('turns unsynced and fails commands while Redis is down, then reloads', async () => {
    const state = await connect();
    const set = state.expiringSet('outage');
    await eventually(() => set.synced);

    await redis.kill();

    await eventually(() => !set.synced);
    await expect(state.ping()).rejects.toThrow();
    await expect(state.take('outage', 60_000, 10)).rejects.toThrow();

    await redis.restart();
    await eventually(() => set.synced, 5_000);
    await state.ping();
    expect((await state.take('outage', 60_000, 10)).allowed).toBe(true);
  });
});
