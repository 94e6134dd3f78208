/**
 * Continual-learning metrics from a stage x chunk accuracy matrix a[k][j] (accuracy on
 * chunk j after stage k, stage k having trained chunk k):
 * - average accuracy: mean_j a[T][j] after the last stage T;
 * - average forgetting: mean over j < T of (max_{k<T} a[k][j] - a[T][j]) (Chaudhry et al. 2018);
 * - backward transfer: mean over j < T of (a[T][j] - a[j][j]) (Lopez-Paz & Ranzato 2017);
 * - forward transfer: mean over j > 0 of (a[j-1][j] - b[j]), b the random-init accuracy on chunk j.
 */

export interface ForgettingMetrics {
  averageAccuracy: number;
  averageForgetting: number;
  backwardTransfer: number;
  /** Present when the random-init per-chunk accuracies are known. */
  forwardTransfer?: number;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Metrics of a square matrix (one row per stage, one column per chunk). */
export function forgettingMetrics(a: readonly (readonly number[])[], randomInit?: readonly number[]): ForgettingMetrics {
  const stages = a.length;
  if (stages === 0 || a.some((row) => row.length !== stages)) {
    throw new Error(`forgetting metrics need one row per stage and one column per chunk (${stages} stages)`);
  }
  const last = stages - 1;
  const earlier = Array.from({ length: last }, (_, j) => j);
  const metrics: ForgettingMetrics = {
    averageAccuracy: mean(a[last].slice()),
    averageForgetting: mean(earlier.map((j) => Math.max(...a.slice(0, last).map((row) => row[j])) - a[last][j])),
    backwardTransfer: mean(earlier.map((j) => a[last][j] - a[j][j])),
  };
  if (randomInit) metrics.forwardTransfer = mean(Array.from({ length: last }, (_, i) => i + 1).map((j) => a[j - 1][j] - randomInit[j]));
  return metrics;
}
