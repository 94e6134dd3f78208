/**
 * The coordinator's own overhead on an arm: the time from a client's result arriving to
 * the next task of that arm being handed to a client (checkpointing, journaling,
 * averaging, finding a free client). Measured per arm, so parallel arms do not mix.
 */
export class OverheadClock {
  private lastResult: number | null = null;
  private readonly pending: number[] = [];

  /** A result of this arm arrived now. */
  resultArrived(): void {
    this.lastResult = performance.now();
  }

  /** A task of this arm was handed to a client now; the gap since the last result is kept once. */
  taskSent(): void {
    if (this.lastResult === null) return;
    this.pending.push((performance.now() - this.lastResult) / 1000);
    this.lastResult = null;
  }

  /** The gaps measured since the last call, in seconds. */
  take(): number[] {
    return this.pending.splice(0);
  }
}

export interface OverheadSummary {
  /** Hand-overs measured. */
  samples: number;
  meanSeconds: number;
  medianSeconds: number;
  maxSeconds: number;
}

/** Mean, median and max of overhead samples; null when there are none. */
export function summarizeOverhead(seconds: readonly number[]): OverheadSummary | null {
  if (seconds.length === 0) return null;
  const sorted = [...seconds].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    samples: sorted.length,
    meanSeconds: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    medianSeconds: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    maxSeconds: sorted[sorted.length - 1],
  };
}
