/**
 * Chart inputs come from experiment results, where a NaN loss or a short matrix row is a
 * real possibility. Vega would draw such input silently wrong (a missing cell, a line
 * that stops), so each chart checks its input first and names the offending entry.
 */

/** Thrown for chart input that cannot be drawn faithfully; the message names the entry. */
export class PlotInputError extends Error {
  override name = 'PlotInputError';
}

export function requireTitle(title: string, what: string): void {
  if (title.trim() === '') throw new PlotInputError(`${what} is empty`);
}

export function requireFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new PlotInputError(`${what} is ${value}, expected a finite number`);
}

/** Labels become the categories of a scale, where an empty or repeated one would merge or lose data. */
export function requireDistinctLabels(labels: readonly string[], what: string): void {
  if (labels.length === 0) throw new PlotInputError(`${what}: none given`);
  const seen = new Set<string>();
  for (const label of labels) {
    if (label.trim() === '') throw new PlotInputError(`${what}: empty label`);
    if (seen.has(label)) throw new PlotInputError(`${what}: "${label}" appears twice`);
    seen.add(label);
  }
}

export function requireRange(range: readonly [number, number], what: string): void {
  requireFinite(range[0], `${what}[0]`);
  requireFinite(range[1], `${what}[1]`);
  if (!(range[0] < range[1])) throw new PlotInputError(`${what} [${range[0]}, ${range[1]}] is not increasing`);
}
