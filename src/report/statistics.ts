/**
 * The paper's summary statistics for repeated trials (docs/MATH.md section 6, "Statistics"): per
 * group keep the rows inside the group's 10%-90% quantile range, then report the mean of the kept
 * rows and the band [min, max] of the kept rows (an 80% band). Pure functions, no I/O.
 */

/** Mean and trimmed band of one group. */
export interface TrimmedBand {
  mean: number;
  /** Smallest kept value. */
  lo: number;
  /** Largest kept value. */
  hi: number;
  /** Values that survived the quantile filter. */
  kept: number;
  /** Finite values in the group before filtering. */
  count: number;
}

/**
 * The p-quantile of ascending `sorted` values by linear interpolation between order statistics
 * (position p (n - 1), the default of numpy.quantile and pandas.Series.quantile).
 */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty list');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile level ${p} is outside [0, 1]`);
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const low = sorted[below] as number;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return low + (position - below) * (high - low);
}

/**
 * Mean and band of `values` after dropping those outside [q(lower), q(upper)] (both ends kept).
 * Non-finite values are ignored; null when none is finite. With two distinct values the filter
 * keeps nothing, and then every value is kept (the band is the plain [min, max]).
 */
export function trimmedBand(values: readonly number[], lower = 0.1, upper = 0.9): TrimmedBand | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const from = quantile(sorted, lower);
  const to = quantile(sorted, upper);
  const inside = sorted.filter((v) => v >= from && v <= to);
  const kept = inside.length > 0 ? inside : sorted;
  const sum = kept.reduce((total, v) => total + v, 0);
  return {
    mean: sum / kept.length,
    lo: kept[0] as number,
    hi: kept[kept.length - 1] as number,
    kept: kept.length,
    count: sorted.length,
  };
}

/** Rows grouped by a string key, groups in order of first appearance. */
export function groupBy<Row>(rows: Iterable<Row>, key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}
