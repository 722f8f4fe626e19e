import { afterEach, describe, expect, it } from '@jest/globals';

import { InMemorySharedState } from './in-memory-shared-state.js';

const MINUTE_MS = 60_000;

describe(InMemorySharedState.name, () => {
  const state = new InMemorySharedState();

  afterEach(() => state.onModuleDestroy());

  it('keeps account failures through a flood of address keys', async () => {
    await state.hit('lockout:failures:usr_victim', MINUTE_MS);

    for (let address = 0; address <= 100_000; address += 1) {
      await state.take(`rate:ip:${address}`, MINUTE_MS, 10);
    }

    expect(await state.hit('lockout:failures:usr_victim', MINUTE_MS)).toBe(2);
    expect(await state.hit('rate:ip:0', MINUTE_MS)).toBe(1);
  });

  it('forgets written values after their time to live', async () => {
    await state.write('short', 'value', 20);
    await state.write('long', 'value', MINUTE_MS);
    await new Promise((resolve) => setTimeout(resolve, 40));

    expect(await state.read('short')).toBeNull();
    expect(await state.read('long')).toBe('value');
  });

  it('removes values and windows by key', async () => {
    await state.write('lockout:until:usr_a', '1', MINUTE_MS);
    await state.hit('lockout:failures:usr_a', MINUTE_MS);

    await state.remove('lockout:until:usr_a', 'lockout:failures:usr_a');

    expect(await state.read('lockout:until:usr_a')).toBeNull();
    expect(await state.hit('lockout:failures:usr_a', MINUTE_MS)).toBe(1);
  });

  it('keeps set members until they expire', async () => {
    const set = state.expiringSet('revocations');
    await set.add('token:a', Date.now() + MINUTE_MS);
    await set.add('token:b', Date.now() - 1);

    expect(set.synced).toBe(true);
    expect(set.has('token:a')).toBe(true);
    expect(set.has('token:b')).toBe(false);
    expect(state.expiringSet('revocations')).toBe(set);
  });
});
