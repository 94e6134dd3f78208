/**
 * The input pipeline, off the training thread: worker threads crop, augment and
 * normalize the next batches while the current one trains. Batch composition stays on
 * the calling thread (the sampler is asked in batch order); each batch's augmentation
 * seed depends only on its index, so the bytes do not depend on which worker built them,
 * nor on how many workers there are (0 = build in-thread, on demand).
 *
 * Until a worker has started (about 100 ms for a thread to load its script, against 4-8 ms
 * to build a batch of 128 28x28 images), the batches asked for are built in-thread: a
 * stage's first step does not wait for the threads that are to feed its later ones.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { twoViews, type ImagePool } from './augment-cpu.js';
import type { AugmentOptions } from './augment.js';
import type { Normalization } from './normalization.js';
import { sharedBufferOf } from './shared-bytes.js';
import { dataWorkerScript } from './worker-script.js';
import type { FromWorker, ToWorker } from './pipeline-worker.js';

/** Anything that yields batch index lists in order, e.g. the engine's BatchSampler. */
export interface IndexSource {
  next(): ArrayLike<number>;
}

export interface PipelineSpec {
  /** The images batches are built from, and their labels. */
  pool: ImagePool & { labels?: Uint8Array };
  sampler: IndexSource;
  augment: AugmentOptions;
  norm: Normalization;
  stageSeed: number;
  /**
   * Position in the stage of the first batch asked for: a stage resumed after `firstBatch`
   * steps gets the same augmentations its uninterrupted run would have had. Default 0.
   */
  firstBatch?: number;
  /** How many batches will be asked for; nothing is built past it. Unbounded if absent. */
  batches?: number;
}

export interface PipelineOptions {
  /** Worker threads; 0 builds each batch in-thread when asked. Default min(2, cores). */
  workers?: number;
  /** Most batches dispatched but not yet returned by next(). Default 4. */
  prefetch?: number;
}

export interface ViewBatch {
  view1: Float32Array;
  view2: Float32Array;
  /** Class ids of the batch's images, in order, when the pool has labels (the supervised baseline trains on them). */
  labels?: Uint8Array;
  shape: [number, number, number, number];
}

function labelsAt(pool: { labels?: Uint8Array }, indices: ArrayLike<number>): Uint8Array | undefined {
  const labels = pool.labels;
  return labels ? Uint8Array.from({ length: indices.length }, (_, i) => labels[indices[i]]) : undefined;
}

/** Time spent inside next(), waiting for data: the training thread's idle time. */
export interface WaitStats {
  batches: number;
  totalMs: number;
  /** The first batch's wait: built in-thread when no worker has started yet. */
  firstMs: number;
  /** Mean over every batch after the first: the steady-state wait. */
  steadyMeanMs: number;
  maxSteadyMs: number;
}

type Outcome = { ok: true; batch: ViewBatch } | { ok: false; error: Error };

interface Waiter {
  resolve: (b: ViewBatch) => void;
  reject: (e: Error) => void;
}

export const DEFAULT_PREFETCH = 4;

export function defaultWorkerCount(): number {
  return Math.min(2, availableParallelism());
}

/**
 * Starts a data worker. From the sources, tsx's `--import` is dropped from the flags it
 * inherits: the worker's script is plain JavaScript (./worker-script.ts), and Node
 * versions where `--import` runs in workers would load tsx there for nothing.
 */
function startWorker(index: number): Worker {
  const name = `streamssl-data-${index}`;
  const script = dataWorkerScript();
  const flags = withoutTsxHooks(process.execArgv);
  if (flags.length === process.execArgv.length) return new Worker(script, { name });
  try {
    return new Worker(script, { name, execArgv: flags });
  } catch (err) {
    // Flags given explicitly are validated (inherited ones are not): e.g. --trace-gc is
    // refused. Inheriting them all is then the lesser evil.
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(script, { name });
  }
}

function withoutTsxHooks(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((a === '--import' || a === '--loader' || a === '--experimental-loader') && /tsx/.test(args[i + 1] ?? '')) i++;
    else if (!/^--(import|loader|experimental-loader)=.*tsx/.test(a)) out.push(a);
  }
  return out;
}

/** Bounded, ordered prefetch of augmented two-view batches. Call close() when done. */
export class BatchPipeline {
  private readonly workers: Worker[] = [];
  private readonly results: MessagePort[] = [];
  private readonly load: number[] = [];
  /** Whether each worker has its pool and takes batches (it says so once it has loaded). */
  private readonly takingBatches: boolean[] = [];
  private readonly ready = new Map<number, Outcome>();
  /** Labels of dispatched batches, gathered on this thread while their images are built elsewhere. */
  private readonly pendingLabels = new Map<number, Uint8Array | undefined>();
  private readonly waiters = new Map<number, Waiter>();
  /** Buffers of batches given back (recycle), written into by the next batches built. */
  private readonly spare: ArrayBuffer[] = [];
  /** [height, width, channels] of one output image. */
  private readonly image: [number, number, number];
  private readonly prefetch: number;
  private dispatched = 0;
  private requested = 0;
  private handedOut = 0;
  private live = 0;
  private builtInThread = 0;
  private failure: Error | null = null;
  private closed = false;
  private readonly wait = { batches: 0, totalMs: 0, firstMs: 0, maxSteadyMs: 0 };

  constructor(
    private readonly spec: PipelineSpec,
    options: PipelineOptions = {},
  ) {
    const workers = options.workers ?? defaultWorkerCount();
    this.prefetch = options.prefetch ?? DEFAULT_PREFETCH;
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`batch pipeline: workers must be an integer >= 0, got ${workers}`);
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1) throw new Error(`batch pipeline: prefetch must be an integer >= 1, got ${this.prefetch}`);
    const { pool, augment } = spec;
    this.image = [augment.size, augment.size, pool.channels];
    if (workers === 0) return;
    const pixels = pool.count * pool.height * pool.width * pool.channels;
    let shared = sharedBufferOf(pool.images);
    if (!shared) {
      shared = new SharedArrayBuffer(pixels);
      new Uint8Array(shared).set(pool.images.subarray(0, pixels));
    }
    try {
      for (let i = 0; i < workers; i++) this.spawn(i, shared);
    } catch (err) {
      void this.close();
      throw err;
    }
  }

  private spawn(i: number, images: SharedArrayBuffer): void {
    const { pool, augment, norm, stageSeed } = this.spec;
    const worker = startWorker(i);
    this.workers.push(worker);
    this.live++;
    worker.on('error', (err) => this.fail(new Error(`batch pipeline: data worker ${i} crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      this.live--;
      if (!this.closed) this.fail(new Error(`batch pipeline: data worker ${i} exited unexpectedly (code ${code})`));
    });
    // Results come back on a port of their own, so next() can take those already sent
    // without yielding to the event loop (receiveMessageOnPort).
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (m: FromWorker) => this.onMessage(i, m));
    port1.on('messageerror', (err) => this.fail(new Error(`batch pipeline: unreadable result from data worker ${i}: ${err.message}`)));
    this.results.push(port1);
    this.load.push(0);
    this.takingBatches.push(false);
    const { count, height, width, channels } = pool;
    const init: ToWorker = { type: 'init', images, count, height, width, channels, augment, norm, stageSeed, results: port2 };
    worker.postMessage(init, [port2]);
  }

  /** Batches dispatched to workers and not yet returned by next(). */
  get inFlight(): number {
    return this.dispatched - this.handedOut;
  }

  /** Worker threads still running. */
  get liveWorkers(): number {
    return this.live;
  }

  /** Worker threads that have started and take batches. */
  get startedWorkers(): number {
    return this.takingBatches.filter(Boolean).length;
  }

  /** Batches built on the calling thread: all of them without workers, else those asked for before one started. */
  get batchesBuiltInThread(): number {
    return this.builtInThread;
  }

  waitStats(): WaitStats {
    const w = this.wait;
    return { ...w, steadyMeanMs: w.batches > 1 ? (w.totalMs - w.firstMs) / (w.batches - 1) : 0 };
  }

  /** The next batch, strictly in order. */
  next(): Promise<ViewBatch> {
    if (this.closed) return Promise.reject(new Error('batch pipeline: next() after close()'));
    if (this.failure) return Promise.reject(this.failure);
    const limit = this.spec.batches;
    if (limit !== undefined && this.requested >= limit) {
      return Promise.reject(new Error(`batch pipeline: all ${limit} batches were already requested`));
    }
    const b = this.requested++;
    const started = performance.now();
    this.drain();
    // Nothing is in flight before a worker has started: the batch is built here, now.
    if (this.startedWorkers === 0) return this.buildInThread(b, started);
    return new Promise<ViewBatch>((resolve, reject) => {
      this.waiters.set(b, {
        resolve: (batch) => {
          this.recordWait(performance.now() - started);
          resolve(batch);
        },
        reject,
      });
      this.drain();
      this.deliver();
    });
  }

  /**
   * Gives back a batch the caller is done with (its views read, e.g. copied into
   * tensors): the next batches are built into its buffers, which leave this thread. A
   * training step's two views (0.8 MB at batch 128 of 28x28) otherwise stayed as garbage
   * until V8 collected it, tens of MB at a time beside the step's peak.
   */
  recycle(batch: ViewBatch): void {
    for (const view of [batch.view1, batch.view2]) {
      const buffer = view.buffer;
      if (buffer instanceof ArrayBuffer && buffer.byteLength > 0 && this.spare.length < 2 * (this.prefetch + 1)) this.spare.push(buffer);
    }
  }

  /** Stops the workers; pending next() calls reject. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectWaiters(new Error('batch pipeline: closed while a batch was awaited'));
    this.ready.clear();
    for (const port of this.results) port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private buildInThread(b: number, started: number): Promise<ViewBatch> {
    try {
      const indices = this.spec.sampler.next();
      this.dispatched++;
      this.builtInThread++;
      const { view1, view2 } = twoViews(this.spec.pool, indices, this.spec.augment, this.spec.norm, this.spec.stageSeed, b + (this.spec.firstBatch ?? 0), this.spare.splice(0, 2));
      this.handedOut++;
      this.recordWait(performance.now() - started);
      return Promise.resolve({ view1, view2, labels: labelsAt(this.spec.pool, indices), shape: [indices.length, ...this.image] });
    } catch (err) {
      this.failure = new Error(`batch pipeline: could not build batch ${b}: ${(err as Error).message}`);
      return Promise.reject(this.failure);
    }
  }

  private recordWait(ms: number): void {
    const w = this.wait;
    if (w.batches === 0) w.firstMs = ms;
    else w.maxSteadyMs = Math.max(w.maxSteadyMs, ms);
    w.batches++;
    w.totalMs += ms;
  }

  /** Dispatches batches to the started workers until `prefetch` are in flight (or the stage's last one is). */
  private refill(): void {
    const limit = this.spec.batches ?? Infinity;
    const first = this.takingBatches.indexOf(true);
    if (first < 0) return;
    while (!this.failure && !this.closed && this.inFlight < this.prefetch && this.dispatched < limit) {
      const b = this.dispatched;
      let indices: Uint32Array<ArrayBuffer>;
      try {
        indices = Uint32Array.from(this.spec.sampler.next());
      } catch (err) {
        this.fail(new Error(`batch pipeline: the sampler failed at batch ${b}: ${(err as Error).message}`));
        return;
      }
      let w = first;
      for (let i = first + 1; i < this.workers.length; i++) if (this.takingBatches[i] && this.load[i] < this.load[w]) w = i;
      this.load[w]++;
      this.dispatched++;
      this.pendingLabels.set(b, labelsAt(this.spec.pool, indices));
      const reuse = this.spare.splice(0, 2);
      const msg: ToWorker = { type: 'build', batch: b, seedIndex: b + (this.spec.firstBatch ?? 0), indices, reuse };
      this.workers[w].postMessage(msg, [indices.buffer, ...reuse]);
    }
  }

  /** Takes every result already sent, without waiting for the event loop to deliver it. */
  private drain(): void {
    for (let i = 0; i < this.results.length; i++) {
      for (let m = receiveMessageOnPort(this.results[i]); m; m = receiveMessageOnPort(this.results[i])) {
        this.onMessage(i, m.message as FromWorker);
      }
    }
  }

  private onMessage(worker: number, m: FromWorker): void {
    if (this.closed) return;
    if (m.type === 'started') {
      this.takingBatches[worker] = true;
      this.refill();
      return;
    }
    this.load[worker]--;
    if (m.type === 'batch') {
      const n = m.view1.length / (this.image[0] * this.image[1] * this.image[2]);
      const labels = this.pendingLabels.get(m.batch);
      this.pendingLabels.delete(m.batch);
      this.ready.set(m.batch, { ok: true, batch: { view1: m.view1, view2: m.view2, labels, shape: [n, ...this.image] } });
    } else {
      this.ready.set(m.batch, { ok: false, error: new Error(`batch pipeline: data worker ${worker} could not build batch ${m.batch}: ${m.message}`) });
    }
    this.deliver();
  }

  /** Hands the oldest awaited batch over if it is ready, then tops the queue up. */
  private deliver(): void {
    const b = this.handedOut;
    const waiter = this.waiters.get(b);
    const outcome = this.ready.get(b);
    if (!waiter || !outcome) return;
    this.waiters.delete(b);
    this.ready.delete(b);
    if (!outcome.ok) {
      this.fail(outcome.error);
      waiter.reject(outcome.error);
      return;
    }
    this.handedOut++;
    this.refill();
    waiter.resolve(outcome.batch);
    this.deliver();
  }

  /** The pipeline is broken: every pending and later next() rejects with `error`. */
  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    this.rejectWaiters(error);
    for (const port of this.results) port.close();
    for (const w of this.workers) void w.terminate();
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }
}
