/**
 * The bench's one median: the lower of the two middle values for an even count, so
 * a reported figure is always one that was measured (a row, a ratio), never the mean
 * of two.
 */

/** The lower median of `items` by `value`. */
export function lowerMedianBy<T>(items: readonly T[], value: (item: T) => number): T {
  if (items.length === 0) throw new Error('lowerMedian: no values');
  return [...items].sort((a, b) => value(a) - value(b))[Math.floor((items.length - 1) / 2)];
}

/** The lower median of numbers. */
export const lowerMedian = (xs: readonly number[]): number => lowerMedianBy(xs, (x) => x);
