/** How a summary over seeds reads in a table: mean ± half-width of its interval, in percent or points. */
import type { DifferenceSummary, SampleSummary } from './statistics.js';

/** Marks a paired difference whose interval contains 0. */
export const NOT_SIGNIFICANT = 'n.s.';

/** A summary of fractions as `mean ± half-width` in percent with one decimal (`77.3 ± 1.2`); the mean alone for one seed. */
export function meanInterval(s: SampleSummary | undefined): string {
  if (!s) return '–';
  const mean = (s.mean * 100).toFixed(1);
  return s.halfWidth === null ? mean : `${mean} ± ${(s.halfWidth * 100).toFixed(1)}`;
}

/** A paired difference of fractions in signed points, `n.s.` when its interval contains 0 (or there is none). */
export function differenceInterval(d: DifferenceSummary | undefined): string {
  if (!d) return '–';
  const mean = `${d.mean > 0 ? '+' : ''}${(d.mean * 100).toFixed(1)}`;
  if (d.halfWidth === null) return mean;
  return `${mean} ± ${(d.halfWidth * 100).toFixed(1)}${d.significant ? '' : ` ${NOT_SIGNIFICANT}`}`;
}
