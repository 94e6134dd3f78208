/**
 * Continual-learning metrics from a stage x chunk accuracy matrix a[k][j] (accuracy on
 * chunk j after stage k, stage k having trained chunk c_k; one pass in stream order has
 * c_k = k, a cyclic relay visits each chunk several times, one row per visit):
 * - average accuracy: mean_j a[T][j] after the last stage T;
 * - average forgetting: mean over chunks j other than c_T of (max_{k<T} a[k][j] - a[T][j]) (Chaudhry et al. 2018);
 * - backward transfer: mean over the same j of (a[T][j] - a[l_j][j]), l_j the last stage before T that trained j (Lopez-Paz & Ranzato 2017);
 * - forward transfer: mean over chunks j first trained at a stage f_j > 0 of (a[f_j - 1][j] - b[j]), b the random-init accuracy on chunk j.
 * With c_k = k these are the usual formulas (j < T, l_j = j, f_j = j).
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

/**
 * Metrics of a matrix with one row per stage and one column per chunk; `trained[k]` is the
 * chunk stage k trained (default k: a square matrix). Every chunk must be trained by a stage.
 */
export function forgettingMetrics(a: readonly (readonly number[])[], randomInit?: readonly number[], trained?: readonly number[]): ForgettingMetrics {
  const stages = a.length;
  const chunks = trained ? (a[0]?.length ?? 0) : stages;
  const rowChunk = trained ?? Array.from({ length: stages }, (_, k) => k);
  if (stages === 0 || a.some((row) => row.length !== chunks) || rowChunk.length !== stages) {
    throw new Error(`forgetting metrics need one row per stage and one column per chunk (${stages} stages, ${chunks} chunks)`);
  }
  const first = new Array<number>(chunks).fill(-1);
  rowChunk.forEach((c, k) => {
    if (!Number.isInteger(c) || c < 0 || c >= chunks) throw new Error(`forgetting metrics: stage ${k} trained chunk ${c}, not one of the ${chunks} chunks`);
    if (first[c] < 0) first[c] = k;
  });
  const untrained = first.findIndex((k) => k < 0);
  if (untrained >= 0) throw new Error(`forgetting metrics: no stage trained chunk ${untrained}`);
  const last = stages - 1;
  const lastVisit = (j: number) => rowChunk.lastIndexOf(j, last - 1);
  const earlier = Array.from({ length: chunks }, (_, j) => j).filter((j) => j !== rowChunk[last]);
  const metrics: ForgettingMetrics = {
    averageAccuracy: mean(a[last].slice()),
    averageForgetting: mean(earlier.map((j) => Math.max(...a.slice(0, last).map((row) => row[j])) - a[last][j])),
    backwardTransfer: mean(earlier.map((j) => a[last][j] - a[lastVisit(j)][j])),
  };
  if (randomInit) {
    const later = Array.from({ length: chunks }, (_, j) => j).filter((j) => first[j] > 0);
    metrics.forwardTransfer = mean(later.map((j) => a[first[j] - 1][j] - randomInit[j]));
  }
  return metrics;
}
