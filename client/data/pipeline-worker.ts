/**
 * Worker-thread side of the batch pipeline (./pipeline.ts): holds the shared image pool
 * and builds the two augmented views of whichever batch it is asked for.
 * Imports no tfjs: only plain JS runs here.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { twoViews, type ImagePool } from './augment-cpu.js';
import type { AugmentOptions } from './augment.js';
import type { Normalization } from './normalization.js';

/** Messages from the pipeline to a worker. */
export type ToWorker =
  | {
      type: 'init';
      /** Pixels in a SharedArrayBuffer: every worker reads the same memory, nothing is copied. */
      images: SharedArrayBuffer;
      count: number;
      height: number;
      width: number;
      channels: number;
      augment: AugmentOptions;
      norm: Normalization;
      stageSeed: number;
      /** Where results go: the pipeline can drain it synchronously (receiveMessageOnPort). */
      results: MessagePort;
    }
  | {
      type: 'build';
      batch: number;
      /** The batch's position in its stage: what its augmentation seed derives from. */
      seedIndex: number;
      indices: Uint32Array;
      /** Buffers of batches the pipeline is done with, to write this one's views into. */
      reuse?: ArrayBuffer[];
    };

/** Messages from a worker to the pipeline. */
export type FromWorker =
  /** The pool is in: the worker takes batches from now on (until then the pipeline builds them itself). */
  | { type: 'started' }
  | { type: 'batch'; batch: number; view1: Float32Array<ArrayBuffer>; view2: Float32Array<ArrayBuffer> }
  | { type: 'error'; batch: number; message: string };

interface Context {
  pool: ImagePool;
  augment: AugmentOptions;
  norm: Normalization;
  stageSeed: number;
  results: MessagePort;
}

const port = parentPort;
if (!port) throw new Error('pipeline-worker.ts must run in a worker thread (see BatchPipeline)');

let context: Context | null = null;

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    const { images, count, height, width, channels, augment, norm, stageSeed, results } = msg;
    context = { pool: { images: new Uint8Array(images), count, height, width, channels }, augment, norm, stageSeed, results };
    const reply: FromWorker = { type: 'started' };
    results.postMessage(reply);
    return;
  }
  const out = context?.results ?? port;
  try {
    if (!context) throw new Error('asked to build a batch before receiving the image pool');
    const { view1, view2 } = twoViews(context.pool, msg.indices, context.augment, context.norm, context.stageSeed, msg.seedIndex, msg.reuse);
    const reply: FromWorker = { type: 'batch', batch: msg.batch, view1, view2 };
    out.postMessage(reply, [view1.buffer, view2.buffer]);
  } catch (err) {
    const reply: FromWorker = { type: 'error', batch: msg.batch, message: err instanceof Error ? err.message : String(err) };
    out.postMessage(reply);
  }
});
