import { describe, expect, it } from '@jest/globals';

import { InMemoryWindowCounter } from './window-counter.js';

const MINUTE_MS = 60_000;

/** Returns a clock that the test moves by hand, starting on a bucket boundary. */
function manualClock(start = 1_700_000_040_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe(InMemoryWindowCounter.name, () => {
  describe('hit', () => {
    it('counts hits of one key within the window', async () => {
      const counter = new InMemoryWindowCounter({ sweep: false });

      expect(await counter.hit('a', MINUTE_MS)).toBe(1);
      expect(await counter.hit('a', MINUTE_MS)).toBe(2);
      expect(await counter.hit('a', MINUTE_MS)).toBe(3);
    });

    it('keeps keys apart', async () => {
      const counter = new InMemoryWindowCounter({ sweep: false });

      await counter.hit('a', MINUTE_MS);
      await counter.hit('a', MINUTE_MS);

      expect(await counter.hit('b', MINUTE_MS)).toBe(1);
    });

    it('drops hits once the window has passed them', async () => {
      const clock = manualClock();
      const counter = new InMemoryWindowCounter({ now: clock.now, sweep: false });
      await counter.hit('a', MINUTE_MS);
      clock.advance(30_000);
      await counter.hit('a', MINUTE_MS);

      clock.advance(30_000);
      expect(await counter.hit('a', MINUTE_MS)).toBe(2);
      clock.advance(30_000);
      expect(await counter.hit('a', MINUTE_MS)).toBe(2);
      clock.advance(MINUTE_MS);
      expect(await counter.hit('a', MINUTE_MS)).toBe(1);
    });

    it('counts a hit for at least 59/60 of the window', async () => {
      const clock = manualClock();
      const counter = new InMemoryWindowCounter({ now: clock.now, sweep: false });
      clock.advance(999);
      await counter.hit('a', MINUTE_MS);

      clock.advance(MINUTE_MS - 1_000 - 1);
      expect(await counter.hit('a', MINUTE_MS)).toBe(2);
    });

    it('never counts a hit older than the window', async () => {
      const clock = manualClock();
      const counter = new InMemoryWindowCounter({ now: clock.now, sweep: false });
      await counter.hit('a', MINUTE_MS);

      clock.advance(MINUTE_MS);
      expect(await counter.hit('a', MINUTE_MS)).toBe(1);
    });

    it('starts again when the window of a key changes', async () => {
      const counter = new InMemoryWindowCounter({ sweep: false });
      await counter.hit('a', MINUTE_MS);

      expect(await counter.hit('a', 2 * MINUTE_MS)).toBe(1);
    });

    it('tolerates a clock that steps back', async () => {
      const clock = manualClock();
      const counter = new InMemoryWindowCounter({ now: clock.now, sweep: false });
      await counter.hit('a', MINUTE_MS);

      clock.advance(-5_000);
      expect(await counter.hit('a', MINUTE_MS)).toBe(2);
    });
  });

  describe('reset', () => {
    it('forgets every hit of the key only', async () => {
      const counter = new InMemoryWindowCounter({ sweep: false });
      await counter.hit('a', MINUTE_MS);
      await counter.hit('b', MINUTE_MS);

      await counter.reset('a');

      expect(await counter.hit('a', MINUTE_MS)).toBe(1);
      expect(await counter.hit('b', MINUTE_MS)).toBe(2);
    });
  });

  describe('memory bound', () => {
    it('drops the least recently hit key past maxKeys', async () => {
      const counter = new InMemoryWindowCounter({ maxKeys: 2, sweep: false });
      await counter.hit('a', MINUTE_MS);
      await counter.hit('b', MINUTE_MS);
      await counter.hit('a', MINUTE_MS);

      await counter.hit('c', MINUTE_MS);

      expect(counter.size).toBe(2);
      expect(await counter.hit('a', MINUTE_MS)).toBe(3);
      expect(await counter.hit('b', MINUTE_MS)).toBe(1);
    });

    it('sweeps keys whose hits have all expired', async () => {
      const clock = manualClock();
      const counter = new InMemoryWindowCounter({ now: clock.now, sweep: false });
      await counter.hit('old', MINUTE_MS);
      clock.advance(45_000);
      await counter.hit('recent', MINUTE_MS);

      clock.advance(30_000);
      counter.sweep();

      expect(counter.size).toBe(1);
      expect(await counter.hit('recent', MINUTE_MS)).toBe(2);
    });
  });

  describe('take', () => {
    it('adds hits up to the limit and refuses the rest without counting them', async () => {
      const counter = new InMemoryWindowCounter({ sweep: false });

      const taken = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        taken.push(await counter.take('a', MINUTE_MS, 3));
      }

      expect(taken.map((result) => result.allowed)).toEqual([true, true, true, false, false]);
      expect(taken.map((result) => result.count)).toEqual([1, 2, 3, 3, 3]);
    });

    it('reports when the oldest hit leaves the window', async () => {
      const clock = manualClock();
      const counter = new InMemoryWindowCounter({ now: clock.now, sweep: false });
      await counter.take('a', MINUTE_MS, 2);
      clock.advance(20_000);
      await counter.take('a', MINUTE_MS, 2);

      const refused = await counter.take('a', MINUTE_MS, 2);

      expect(refused).toEqual({ allowed: false, count: 2, resetMs: 40_000 });
      clock.advance(40_000);
      expect(await counter.take('a', MINUTE_MS, 2)).toMatchObject({ allowed: true, count: 2 });
    });

    it('reports nothing to wait for on an empty key', async () => {
      const counter = new InMemoryWindowCounter({ sweep: false });

      expect(await counter.take('a', MINUTE_MS, 0)).toEqual({
        allowed: false,
        count: 0,
        resetMs: 0,
      });
    });
  });
});
