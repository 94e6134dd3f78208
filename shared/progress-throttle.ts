/**
 * The one rate limit of training progress, used by the trainer (how often it reports and
 * yields to the event loop), the client (how often it sends progress to the coordinator)
 * and the coordinator (how often it logs it).
 */

/**
 * Lets progress through per key (a task id): its first report, then at most one per
 * `intervalMs`, and always its last step (`step >= steps`), after which the key is forgotten.
 */
export class ProgressThrottle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether step `step` of `steps` of `key` goes through now; if so, it counts as the key's last report. */
  passes(key: string, step: number, steps: number): boolean {
    if (step >= steps) {
      this.last.delete(key);
      return true;
    }
    const now = this.now();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }
}
