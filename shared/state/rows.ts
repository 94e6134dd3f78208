/**
 * A [rows, width] array as a list of row vectors: whether every row is a unit vector, and
 * scaling rows back to unit length. Mixing unit vectors linearly (averaging, interpolating)
 * shortens them; arrays a state declares as unit rows are put back on the sphere.
 */

function rowNorm(values: Float32Array, start: number, width: number): number {
  let sum = 0;
  for (let j = start; j < start + width; j++) sum += values[j] * values[j];
  return Math.sqrt(sum);
}

/** Whether every row of a [rows, width] array has length 1 (to float32 precision); false when empty. */
export function hasUnitRows(values: Float32Array, width: number): boolean {
  for (let start = 0; start < values.length; start += width) {
    if (Math.abs(rowNorm(values, start, width) - 1) > 1e-3) return false;
  }
  return values.length > 0;
}

/** Scales every non-zero row of a [rows, width] array to length 1, in place. */
export function normalizeRows(values: Float32Array, width: number): void {
  for (let start = 0; start < values.length; start += width) {
    const norm = rowNorm(values, start, width);
    if (norm > 0) for (let j = start; j < start + width; j++) values[j] /= norm;
  }
}
