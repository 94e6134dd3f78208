/**
 * The coordinator's own overhead on an arm: the time from a client's result arriving to
 * the next task of that arm being handed to a client (checkpointing, journaling,
 * averaging, finding a free client). Measured per arm, so parallel arms do not mix. The
 * part spent waiting for a free client is kept apart too: with more tasks in flight than
 * clients (a fedavg round beside relay arms), that wait is scheduling, not the
 * coordinator's work.
 */
export class OverheadClock {
  private lastResult: number | null = null;
  private readonly pending: number[] = [];
  private readonly waits: number[] = [];

  /** A result of this arm arrived now. */
  resultArrived(): void {
    this.lastResult = performance.now();
  }

  /**
   * A task of this arm was handed to a client now, after `waitedSeconds` waiting for a
   * free client; the gap since the last result is kept once, with the part of it waited.
   */
  taskSent(waitedSeconds = 0): void {
    if (this.lastResult === null) return;
    const gap = (performance.now() - this.lastResult) / 1000;
    this.pending.push(gap);
    this.waits.push(Math.min(Math.max(waitedSeconds, 0), gap));
    this.lastResult = null;
  }

  /** The gaps measured since the last call, and of each the seconds spent waiting for a client. */
  take(): { overhead: number[]; clientWait: number[] } {
    return { overhead: this.pending.splice(0), clientWait: this.waits.splice(0) };
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
