/** Integer shares of a total and quota-driven picks: what sized and stratified selections share. */

/**
 * Cuts the integer `total` into integer parts proportional to `weights` (non-negative, not
 * all zero) by largest remainders, ties to the lower index; the parts sum to `total`.
 */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new Error('apportion: weights must have a positive sum');
  const exact = weights.map((w) => (w * total) / sum);
  const parts = exact.map(Math.floor);
  const byRemainder = exact.map((e, k) => ({ k, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.k - b.k);
  for (let j = 0, left = total - parts.reduce((a, b) => a + b, 0); j < left; j++) parts[byRemainder[j % parts.length].k]++;
  return parts;
}

/**
 * Walks `order` (indices into `labels`) and keeps each sample while its class still has
 * quota left; returns the kept indices ascending. `quotas` is consumed.
 */
export function pickByClassQuota(labels: ArrayLike<number>, quotas: number[], order: ArrayLike<number>): Uint32Array {
  const chosen: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (quotas[labels[i]] > 0) {
      quotas[labels[i]]--;
      chosen.push(i);
    }
  }
  return Uint32Array.from(chosen).sort();
}
