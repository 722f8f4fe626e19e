import { describe, expect, it } from '@jest/globals';

import { ThresholdDetector } from './threshold-detector.js';
import { InMemoryWindowCounter } from '@codexflow/core';

const RULE = { threshold: 3, windowSeconds: 60 };

function detectorWithClock() {
  let now = 1_700_000_040_000;
  const clock = () => now;
  const counter = new InMemoryWindowCounter({ now: clock, sweep: false });
  return {
    detector: new ThresholdDetector('failed_logins', RULE, counter, clock),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Hits `key` `times` times and returns the crossings reported, in order. */
async function hitTimes(detector: ThresholdDetector, key: string, times: number) {
  const crossings = [];
  for (let index = 0; index < times; index += 1) {
    const crossing = await detector.hit(key);
    if (crossing !== undefined) {
      crossings.push(crossing);
    }
  }
  return crossings;
}

describe(ThresholdDetector.name, () => {
  it('reports nothing up to the threshold', async () => {
    const { detector } = detectorWithClock();

    expect(await hitTimes(detector, 'usr_a', 3)).toEqual([]);
  });

  it('reports the hit that goes above the threshold', async () => {
    const { detector } = detectorWithClock();
    await hitTimes(detector, 'usr_a', 3);

    expect(await detector.hit('usr_a')).toEqual({
      detector: 'failed_logins',
      key: 'usr_a',
      count: 4,
      threshold: 3,
      windowSeconds: 60,
    });
  });

  it('reports a crossing once however many hits follow', async () => {
    const { detector } = detectorWithClock();

    const crossings = await hitTimes(detector, 'usr_a', 20);

    expect(crossings).toHaveLength(1);
    expect(crossings[0]?.count).toBe(4);
  });

  it('keeps reporting once while hits stay above the threshold', async () => {
    const { detector, advance } = detectorWithClock();
    await hitTimes(detector, 'usr_a', 4);

    const later = [];
    for (let index = 0; index < 10; index += 1) {
      advance(10_000);
      later.push(...(await hitTimes(detector, 'usr_a', 1)));
    }

    expect(later).toEqual([]);
  });

  it('reports again after the count fell back to the threshold', async () => {
    const { detector, advance } = detectorWithClock();
    await hitTimes(detector, 'usr_a', 4);

    advance(61_000);
    expect(await hitTimes(detector, 'usr_a', 3)).toEqual([]);
    const again = await hitTimes(detector, 'usr_a', 1);

    expect(again).toHaveLength(1);
    expect(again[0]?.count).toBe(4);
  });

  it('reports again when the window passed without a hit', async () => {
    const { detector, advance } = detectorWithClock();
    await hitTimes(detector, 'usr_a', 4);

    advance(61_000);
    await hitTimes(detector, 'usr_other', 1);

    expect(await hitTimes(detector, 'usr_a', 4)).toHaveLength(1);
  });

  it('counts keys apart', async () => {
    const { detector } = detectorWithClock();
    await hitTimes(detector, 'usr_a', 4);

    const other = await hitTimes(detector, 'usr_b', 4);

    expect(other).toHaveLength(1);
    expect(other[0]?.key).toBe('usr_b');
  });

  it('starts a key from zero after reset', async () => {
    const { detector } = detectorWithClock();
    await hitTimes(detector, 'usr_a', 4);

    await detector.reset('usr_a');

    expect(await hitTimes(detector, 'usr_a', 3)).toEqual([]);
    expect(await hitTimes(detector, 'usr_a', 1)).toHaveLength(1);
  });

  it('shares a counter with other detectors without mixing their keys', async () => {
    const counter = new InMemoryWindowCounter({ sweep: false });
    const logins = new ThresholdDetector('failed_logins', RULE, counter);
    const exports = new ThresholdDetector('data_exports', RULE, counter);
    await hitTimes(logins, 'usr_a', 3);

    expect(await hitTimes(exports, 'usr_a', 3)).toEqual([]);
  });
});
