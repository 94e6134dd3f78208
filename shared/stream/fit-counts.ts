/**
 * A chunks x classes table of sample counts that comes as close as it can to wanted class
 * mixes while every chunk gets its size and every class gives all its samples: the
 * Dirichlet stream's way of turning drawn proportions into an exact partition.
 */
import { apportion } from './apportion.js';

/** Shares below this count as this: a strictly positive table always fits its margins. */
const SHARE_FLOOR = 1e-12;
const MAX_ROUNDS = 1000;
const TOLERANCE = 1e-10;

/**
 * Iterative proportional fitting (Deming and Stephan 1940): scales the rows of `mixes`
 * (one class mix per chunk) and then its columns, in turns, until the row sums are `rows`
 * and the column sums `cols`. The result is the table closest to the mixes (in
 * Kullback-Leibler divergence) with those margins; its column sums are exact, its row sums
 * within 1e-10 relative (or as close as MAX_ROUNDS got). Only exactly rounded arithmetic,
 * so every machine computes the same bits.
 */
export function fitMargins(mixes: readonly (readonly number[])[], rows: readonly number[], cols: readonly number[]): number[][] {
  const x = mixes.map((mix) => mix.map((w) => Math.max(w, SHARE_FLOOR)));
  for (let round = 0; round < MAX_ROUNDS; round++) {
    x.forEach((row, j) => {
      const f = rows[j] / row.reduce((a, b) => a + b, 0);
      for (let c = 0; c < row.length; c++) row[c] *= f;
    });
    cols.forEach((want, c) => {
      const f = want / x.reduce((a, row) => a + row[c], 0);
      for (const row of x) row[c] *= f;
    });
    const worst = x.reduce((w, row, j) => Math.max(w, Math.abs(row.reduce((a, b) => a + b, 0) - rows[j]) / rows[j]), 0);
    if (worst < TOLERANCE) break;
  }
  return x;
}

/**
 * Rounds a fitted table to integers with exactly the margins `rows` and `cols` (integers
 * with equal totals): each column by largest remainders, then single samples move from
 * chunks above their size to chunks below it, each time in the class where the move
 * brings both closer to the fitted table.
 */
export function roundMargins(x: readonly (readonly number[])[], rows: readonly number[], cols: readonly number[]): number[][] {
  const counts = rows.map(() => new Array<number>(cols.length).fill(0));
  cols.forEach((want, c) => {
    apportion(
      x.map((row) => row[c]),
      want,
    ).forEach((n, j) => (counts[j][c] = n));
  });
  const held = counts.map((row) => row.reduce((a, b) => a + b, 0));
  for (;;) {
    let short = 0;
    let over = 0;
    for (let j = 1; j < rows.length; j++) {
      if (rows[j] - held[j] > rows[short] - held[short]) short = j;
      if (held[j] - rows[j] > held[over] - rows[over]) over = j;
    }
    if (held[short] >= rows[short]) return counts;
    let best = -1;
    let gain = -Infinity;
    for (let c = 0; c < cols.length; c++) {
      if (counts[over][c] === 0) continue;
      const g = x[short][c] - counts[short][c] + counts[over][c] - x[over][c];
      if (g > gain) [best, gain] = [c, g];
    }
    counts[over][best]--;
    counts[short][best]++;
    held[over]--;
    held[short]++;
  }
}
