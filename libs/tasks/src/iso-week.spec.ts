import { describe, expect, it } from '@jest/globals';

import { isoWeekLabel, isoWeekOf, isoWeekStart, lastIsoWeeks } from './iso-week.js';

describe(isoWeekLabel.name, () => {
  it.each([
    ['2026-12-31T12:00:00Z', '2026-W53'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2027-01-03T23:59:59.999Z', '2026-W53'],
    ['2027-01-04T00:00:00Z', '2027-W01'],
    ['2020-12-31T00:00:00Z', '2020-W53'],
    ['2021-01-03T12:00:00Z', '2020-W53'],
    ['2021-01-04T00:00:00Z', '2021-W01'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
    ['2025-12-29T08:00:00Z', '2026-W01'],
    ['2026-01-01T00:00:00Z', '2026-W01'],
    ['2026-11-30T00:00:00Z', '2026-W49'],
    ['2026-12-06T23:59:59.999Z', '2026-W49'],
    ['2024-02-29T00:00:00Z', '2024-W09'],
  ])('labels %s as %s', (date, label) => {
    expect(isoWeekLabel(new Date(date))).toBe(label);
  });

  it('uses UTC rather than the offset of the input', () => {
    expect(isoWeekLabel(new Date('2027-01-04T00:30:00+01:00'))).toBe('2026-W53');
  });

  it('rejects an invalid date', () => {
    expect(() => isoWeekLabel(new Date('not a date'))).toThrow(RangeError);
  });
});

describe(isoWeekStart.name, () => {
  it.each([
    ['2026-12-03T15:30:00Z', '2026-11-30T00:00:00.000Z'],
    ['2026-11-30T00:00:00Z', '2026-11-30T00:00:00.000Z'],
    ['2026-12-06T23:59:59.999Z', '2026-11-30T00:00:00.000Z'],
    ['2027-01-01T00:00:00Z', '2026-12-28T00:00:00.000Z'],
    ['2021-01-03T12:00:00Z', '2020-12-28T00:00:00.000Z'],
  ])('starts the week of %s on %s', (date, start) => {
    expect(isoWeekStart(new Date(date)).toISOString()).toBe(start);
  });
});

describe(isoWeekOf.name, () => {
  it('returns the label and the Monday', () => {
    expect(isoWeekOf(new Date('2026-12-02T10:00:00Z'))).toEqual({
      label: '2026-W49',
      start: '2026-11-30',
    });
  });
});

describe(lastIsoWeeks.name, () => {
  it('ends with the current week, oldest first', () => {
    const weeks = lastIsoWeeks(new Date('2026-12-02T10:00:00Z'), 12);

    expect(weeks).toHaveLength(12);
    expect(weeks[0]).toEqual({ label: '2026-W38', start: '2026-09-14' });
    expect(weeks[11]).toEqual({ label: '2026-W49', start: '2026-11-30' });
  });

  it('crosses a year with 53 weeks', () => {
    const weeks = lastIsoWeeks(new Date('2021-01-05T00:00:00Z'), 3);

    expect(weeks).toEqual([
      { label: '2020-W52', start: '2020-12-21' },
      { label: '2020-W53', start: '2020-12-28' },
      { label: '2021-W01', start: '2021-01-04' },
    ]);
  });

  it('crosses a year with 52 weeks', () => {
    const weeks = lastIsoWeeks(new Date('2026-01-01T00:00:00Z'), 3);

    expect(weeks.map((week) => week.label)).toEqual(['2025-W51', '2025-W52', '2026-W01']);
  });

  it('returns consecutive Mondays seven days apart', () => {
    const weeks = lastIsoWeeks(new Date('2027-03-10T00:00:00Z'), 20);

    for (const [index, week] of weeks.entries()) {
      expect(new Date(`${week.start}T00:00:00Z`).getUTCDay()).toBe(1);
      if (index > 0) {
        const previous = new Date(`${weeks[index - 1]!.start}T00:00:00Z`).getTime();
        expect(new Date(`${week.start}T00:00:00Z`).getTime() - previous).toBe(7 * 86_400_000);
      }
    }
  });

  it('returns no weeks for a count of 0', () => {
    expect(lastIsoWeeks(new Date('2026-12-02T10:00:00Z'), 0)).toEqual([]);
  });
});
