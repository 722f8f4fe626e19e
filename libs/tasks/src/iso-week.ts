const DAY_MS = 24 * 60 * 60 * 1000;
const WEEK_MS = 7 * DAY_MS;

/** An ISO 8601 week in UTC. */
export interface IsoWeek {
  /** ISO week-numbering year and week, such as `2026-W49`. */
  label: string;
  /** The Monday that starts the week, as `YYYY-MM-DD`. */
  start: string;
}

function assertValid(date: Date): void {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError('date is invalid');
  }
}

/** Returns Monday 00:00 UTC of the ISO week that contains the date. */
export function isoWeekStart(date: Date): Date {
  assertValid(date);
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(midnight - daysSinceMonday * DAY_MS);
}

/** Returns the ISO week label of the date in UTC, such as `2020-W53` for 2021-01-03. */
export function isoWeekLabel(date: Date): string {
  // The week belongs to the year of its Thursday, and week 1 contains that year's first Thursday.
  const thursday = new Date(isoWeekStart(date).getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function isoWeekOf(date: Date): IsoWeek {
  return {
    label: isoWeekLabel(date),
    start: isoWeekStart(date).toISOString().slice(0, 10),
  };
}

/** Lists `count` consecutive ISO weeks that end with the week of `now`, oldest first. */
export function lastIsoWeeks(now: Date, count: number): IsoWeek[] {
  const currentStart = isoWeekStart(now).getTime();
  return Array.from({ length: count }, (_, index) =>
    isoWeekOf(new Date(currentStart - (count - 1 - index) * WEEK_MS)),
  );
}
