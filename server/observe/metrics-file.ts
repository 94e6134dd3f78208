/**
 * `DIR/metrics.jsonl`: the run's events, one JSON object per line, appended as they happen
 * (a resumed run appends to the same file), so that a finished, failed or resumed run can
 * be viewed again: `readMetricsFile` rebuilds the same snapshot the live run kept.
 *
 * Bounded write rate: lines are gathered and appended once per `flushMs` (one write a
 * second), and progress is kept at most once per `progressEveryMs` per task plus its last
 * step (about 60 bytes a second per training client: 64 clients, some 45 MB an hour).
 * A write that fails never fails the run: its lines stay queued for the next flush (up to
 * `maxQueuedBytes`, beyond which progress lines are dropped first and counted), and the
 * failure is logged once until a write succeeds again.
 */
import { appendFile } from 'node:fs/promises';
import type { Logger } from '../../shared/log.js';
import { ProgressThrottle } from '../../shared/progress-throttle.js';
import type { RunEvent } from '../../shared/observe/run-events.js';
import type { RunEvents } from './bus.js';

export const METRICS_FILE = 'metrics.jsonl';

export interface MetricsFileOptions {
  flushMs?: number;
  progressEveryMs?: number;
  maxQueuedBytes?: number;
  logger?: Logger;
  /** Appends `text` to `path` (default fs `appendFile`; tests inject failures). */
  append?: (path: string, text: string) => Promise<void>;
}

/** Appends a run's events to `path` until `close`. */
export class MetricsFile {
  private queue: Array<{ line: string; progress: boolean }> = [];
  private queuedBytes = 0;
  private dropped = 0;
  private failing = false;
  private flushing: Promise<void> = Promise.resolve();
  private readonly throttle: ProgressThrottle;
  private readonly timer: NodeJS.Timeout;
  private readonly stop: () => void;
  private readonly o: Required<Omit<MetricsFileOptions, 'logger'>> & { logger?: Logger };

  constructor(
    readonly path: string,
    events: RunEvents,
    options: MetricsFileOptions = {},
  ) {
    this.o = { flushMs: 1000, progressEveryMs: 1000, maxQueuedBytes: 16 << 20, append: (p, text) => appendFile(p, text), ...options };
    this.throttle = new ProgressThrottle(this.o.progressEveryMs);
    this.stop = events.subscribe((e) => this.take(e));
    this.timer = setInterval(() => void this.flush(), this.o.flushMs);
    this.timer.unref();
  }

  /** Progress lines dropped because writes kept failing. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** Appends what is queued; never rejects. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** Stops following the events and writes what is queued. */
  async close(): Promise<void> {
    this.stop();
    clearInterval(this.timer);
    await this.flush();
  }

  private take(e: RunEvent): void {
    const progress = e.type === 'progress';
    if (progress && !this.throttle.passes(`${e.client}\n${e.taskId}`, e.step, e.steps)) return;
    const line = `${JSON.stringify(e)}\n`;
    this.queue.push({ line, progress });
    this.queuedBytes += line.length;
    if (this.queuedBytes > this.o.maxQueuedBytes) this.shed();
  }

  /** Drops queued progress lines, oldest first, until the queue fits again (other events are kept). */
  private shed(): void {
    const keep: typeof this.queue = [];
    for (const item of this.queue) {
      if (item.progress && this.queuedBytes > this.o.maxQueuedBytes / 2) {
        this.queuedBytes -= item.line.length;
        this.dropped++;
      } else {
        keep.push(item);
      }
    }
    this.queue = keep;
  }

  private async write(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    try {
      await this.o.append(this.path, batch.map((b) => b.line).join(''));
      if (this.failing) this.o.logger?.info({ path: this.path }, `${METRICS_FILE} writable again`);
      this.failing = false;
    } catch (err) {
      // Kept for the next flush, before what came since.
      this.queue = [...batch, ...this.queue];
      this.queuedBytes = this.queue.reduce((n, b) => n + b.line.length, 0);
      if (this.queuedBytes > this.o.maxQueuedBytes) this.shed();
      if (!this.failing) this.o.logger?.warn({ path: this.path, err: (err as Error).message }, `could not append to ${METRICS_FILE}; the run goes on, its lines are kept to try again`);
      this.failing = true;
    }
  }
}
