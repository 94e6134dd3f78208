import { existsSync, readdirSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { AugmentOptions } from '../../../client/data/augment.js';
import { twoViews, type ImagePool } from '../../../client/data/augment-cpu.js';
import { sharedBytes } from '../../../client/data/shared-bytes.js';
import { BatchPipeline, type IndexSource, type PipelineOptions, type ViewBatch } from '../../../client/data/pipeline.js';
import { BatchSampler } from '../../../client/engine/sampler.js';
import { Random } from '../../../shared/random.js';

const rng = new Random(3);
const pool: ImagePool = { images: Uint8Array.from({ length: 40 * 10 * 10 }, () => rng.int(0, 256)), count: 40, height: 10, width: 10, channels: 1 };
const augment: AugmentOptions = { size: 10, cropScale: [0.2, 1], flip: true, jitter: 0.4, jitterProbability: 0.8, blurProbability: 0.5 };
const norm = { mean: [0.5], std: [0.29] };
const STAGE_SEED = 17;

/** A BatchSampler that counts how often it was asked. */
class CountingSampler implements IndexSource {
  calls = 0;
  private readonly inner = new BatchSampler(pool.count, 0, 8, 0, 5);
  constructor(private readonly poison?: { batch: number; index: number }) {}
  next(): number[] {
    const indices = this.inner.next();
    if (this.poison && this.calls === this.poison.batch) indices[3] = this.poison.index;
    this.calls++;
    return indices;
  }
}

const open: BatchPipeline[] = [];
function pipeline(options: PipelineOptions, sampler: IndexSource = new CountingSampler(), batches?: number): BatchPipeline {
  const p = new BatchPipeline({ pool, sampler, augment, norm, stageSeed: STAGE_SEED, batches }, options);
  open.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function take(p: BatchPipeline, n: number): Promise<ViewBatch[]> {
  const out: ViewBatch[] = [];
  for (let i = 0; i < n; i++) out.push(await p.next());
  return out;
}

const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once every worker of `p` has started and takes batches (the test's timeout bounds it). */
async function untilStarted(p: BatchPipeline, workers: number): Promise<void> {
  while (p.startedWorkers < workers) await sleep(5);
}

describe('BatchPipeline', () => {
  it('returns with 2 workers exactly the batches, in the same order, as in-thread', async () => {
    const inThread = await take(pipeline({ workers: 0 }), 9);
    const threaded = await take(pipeline({ workers: 2, prefetch: 3 }), 9);
    const reference = new BatchSampler(pool.count, 0, 8, 0, 5);
    for (let b = 0; b < 9; b++) {
      const expected = twoViews(pool, reference.next(), augment, norm, STAGE_SEED, b);
      for (const got of [inThread[b], threaded[b]]) {
        expect(got.shape).toEqual([8, 10, 10, 1]);
        expect(bytes(got.view1).equals(bytes(expected.view1))).toBe(true);
        expect(bytes(got.view2).equals(bytes(expected.view2))).toBe(true);
      }
    }
    expect(bytes(threaded[0].view1).equals(bytes(threaded[1].view1))).toBe(false);
  });

  it('builds later batches into the buffers of batches given back, with the same bytes', async () => {
    for (const workers of [0, 2]) {
      const p = pipeline({ workers, prefetch: 2 });
      await untilStarted(p, workers);
      const reference = new BatchSampler(pool.count, 0, 8, 0, 5);
      const given = new Set<ArrayBufferLike>();
      let reused = 0;
      for (let b = 0; b < 8; b++) {
        const got = await p.next();
        const expected = twoViews(pool, reference.next(), augment, norm, STAGE_SEED, b);
        expect(bytes(got.view1).equals(bytes(expected.view1))).toBe(true);
        expect(bytes(got.view2).equals(bytes(expected.view2))).toBe(true);
        if (given.has(got.view1.buffer) || given.has(got.view2.buffer)) reused++;
        given.add(got.view1.buffer).add(got.view2.buffer);
        p.recycle(got);
      }
      // In-thread, the same buffers come back; to a worker they are handed over (left empty here).
      if (workers === 0) expect(reused).toBeGreaterThan(0);
      else expect([...given].filter((buffer) => buffer.byteLength === 0).length).toBeGreaterThan(0);
    }
  });

  it('gives the workers a pool in shared memory as it is, without a copy of its own', async () => {
    const shared: ImagePool = { ...pool, images: sharedBytes(pool.images.length) };
    const p = new BatchPipeline({ pool: shared, sampler: new CountingSampler(), augment, norm, stageSeed: STAGE_SEED }, { workers: 2, prefetch: 3 });
    open.push(p);
    // Written after the pipeline started, before a worker could have read it (starting one
    // takes far longer than this line): a copied pool would still hold zeros.
    shared.images.set(pool.images);
    await untilStarted(p, 2);
    const got = await take(p, 3);
    expect(p.batchesBuiltInThread).toBe(0);
    const reference = new BatchSampler(pool.count, 0, 8, 0, 5);
    for (let b = 0; b < 3; b++) expect(bytes(got[b].view1).equals(bytes(twoViews(pool, reference.next(), augment, norm, STAGE_SEED, b).view1))).toBe(true);
  });

  it('keeps at most `prefetch` batches in flight and builds none past the last', async () => {
    const sampler = new CountingSampler();
    const p = pipeline({ workers: 2, prefetch: 3 }, sampler, 7);
    // Nothing is dispatched before a worker can take it.
    expect(sampler.calls).toBe(0);
    await untilStarted(p, 2);
    expect(sampler.calls).toBe(3);
    for (let b = 0; b < 7; b++) {
      await sleep(20); // give the workers time to run ahead, if they could
      expect(p.inFlight).toBeLessThanOrEqual(3);
      expect(sampler.calls).toBeLessThanOrEqual(b + 3);
      await p.next();
    }
    expect(sampler.calls).toBe(7);
    expect(p.inFlight).toBe(0);
    await expect(p.next()).rejects.toThrow(/all 7 batches were already requested/);
  });

  it('measures how long next() waited', async () => {
    const p = pipeline({ workers: 2, prefetch: 2 });
    await take(p, 5);
    const s = p.waitStats();
    expect(s.batches).toBe(5);
    expect(s.firstMs).toBeGreaterThan(0);
    expect(s.totalMs).toBeGreaterThanOrEqual(s.firstMs);
    expect(s.steadyMeanMs).toBeGreaterThanOrEqual(0);
  });

  it('rejects next() with a clear message when a worker fails on a batch', async () => {
    const p = pipeline({ workers: 2, prefetch: 4 }, new CountingSampler({ batch: 2, index: 999 }));
    await untilStarted(p, 2);
    await take(p, 2);
    await expect(p.next()).rejects.toThrow(/data worker \d could not build batch 2: augment: index 999 \(batch position 3\) is outside the pool of 40 images/);
    await expect(p.next()).rejects.toThrow(/could not build batch 2/);
  });

  it('fails the same way in-thread', async () => {
    const p = pipeline({ workers: 0 }, new CountingSampler({ batch: 1, index: -1 }));
    await p.next();
    await expect(p.next()).rejects.toThrow(/could not build batch 1: augment: index -1/);
  });

  it('rejects next() when a worker dies', async () => {
    const p = pipeline({ workers: 2, prefetch: 2 });
    await p.next();
    // Reach in to kill one worker the way a crash or an out-of-memory would.
    await (p as unknown as { workers: Worker[] }).workers[1].terminate();
    await expect(take(p, 3)).rejects.toThrow(/data worker 1 exited unexpectedly/);
  });

  it('builds the batches asked for before a worker has started in-thread, the same bytes, then leaves them to the workers', async () => {
    const p = pipeline({ workers: 2, prefetch: 2 });
    const reference = new BatchSampler(pool.count, 0, 8, 0, 5);
    // Asked for in the tick the pipeline was made in: no worker can have started.
    expect(p.startedWorkers).toBe(0);
    const first = await p.next();
    expect(p.batchesBuiltInThread).toBe(1);
    expect(bytes(first.view1).equals(bytes(twoViews(pool, reference.next(), augment, norm, STAGE_SEED, 0).view1))).toBe(true);
    await untilStarted(p, 2);
    const later = await take(p, 6);
    expect(p.batchesBuiltInThread).toBe(1);
    for (let b = 1; b <= 6; b++) {
      const expected = twoViews(pool, reference.next(), augment, norm, STAGE_SEED, b);
      expect(bytes(later[b - 1].view1).equals(bytes(expected.view1))).toBe(true);
      expect(bytes(later[b - 1].view2).equals(bytes(expected.view2))).toBe(true);
    }
  });

  it('close() rejects a pending next() and every later one', async () => {
    // Batch 1 is 40,000 images: its worker is still building it when it is asked for.
    const big = { next: (() => { let calls = 0; const inner = new BatchSampler(pool.count, 0, 8, 0, 5); return () => (calls++ === 1 ? Array.from({ length: 40_000 }, (_, i) => i % pool.count) : inner.next()); })() };
    const p = pipeline({ workers: 1, prefetch: 1 }, big);
    await untilStarted(p, 1);
    await p.next(); // batch 0, from the worker, which then gets batch 1
    expect(p.batchesBuiltInThread).toBe(0);
    const pending = p.next();
    const rejected = expect(pending).rejects.toThrow(/closed while a batch was awaited/);
    await p.close();
    await rejected;
    expect(p.liveWorkers).toBe(0);
    await expect(p.next()).rejects.toThrow(/after close/);
  });

  it('close() leaves no worker thread running', async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    const p = pipeline({ workers: 2 });
    await take(p, 3);
    expect(p.liveWorkers).toBe(2);
    const running = existsSync('/proc/self/task') ? threads() : 0;
    await p.close();
    expect(p.liveWorkers).toBe(0);
    if (running > 0) expect(threads()).toBeLessThanOrEqual(running - 2);
  });

  it('rejects bad options', () => {
    expect(() => pipeline({ workers: -1 })).toThrow(/workers/);
    expect(() => pipeline({ workers: 0, prefetch: 0 })).toThrow(/prefetch/);
  });
});
