// Order statistics for the handful of rounds a benchmark runs: medians and
// spreads, never means, so one disturbed round cannot move the headline.

/** Returns the q-quantile (0..1) of the values, interpolating between neighbours. */
export function quantile(values, q) {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export const median = (values) => quantile(values, 0.5);

/** Summarises the values: median, min, max and the quartiles. */
export function summarise(values) {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    count: values.length,
  };
}

/** Formats a number with a precision that suits its size. */
export function formatNumber(value, digits) {
  if (!Number.isFinite(value)) {
    return 'n/a';
  }
  if (digits !== undefined) {
    return value.toFixed(digits);
  }
  const size = Math.abs(value);
  if (size >= 100) {
    return value.toFixed(0);
  }
  if (size >= 10) {
    return value.toFixed(1);
  }
  return value.toFixed(2);
}

/** Formats a summary as `median (min–max)`. */
export function formatSpread(summary, digits) {
  if (summary.count <= 1) {
    return formatNumber(summary.median, digits);
  }
  return `${formatNumber(summary.median, digits)} (${formatNumber(summary.min, digits)}–${formatNumber(summary.max, digits)})`;
}
