import { describe, expect, it } from 'vitest';
import { extendReplay, reservoirSlots } from '../../../client/continual/replay.js';
import { replayKeepCount } from '../../../shared/replay-keep.js';
import { replayPerBatch } from '../../../shared/replay-mix.js';
import { sampledIndices } from '../../../shared/random.js';
import { BatchSampler } from '../../../client/engine/sampler.js';
import type { ImageSet } from '../../../shared/dataset-types.js';

function tinySet(count: number, fill: number): ImageSet {
  return {
    images: new Uint8Array(count * 4).fill(fill),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    count,
    height: 2,
    width: 2,
    channels: 1,
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
  };
}

describe('replay selection', () => {
  it('keeps a count or a fraction of the chunk', () => {
    expect(replayKeepCount({ mode: 'replay', size: 30, ratio: 0.5 }, 100)).toBe(30);
    expect(replayKeepCount({ mode: 'replay', fraction: 0.1, ratio: 0.5 }, 250)).toBe(25);
    expect(replayKeepCount({ mode: 'replay', size: 500, ratio: 0.5 }, 100)).toBe(100);
    expect(replayKeepCount({ mode: 'none' }, 100)).toBe(0);
  });

  it('chooses distinct indices, the same for the same seed', () => {
    const a = sampledIndices(1000, 50, 7);
    expect(new Set(a).size).toBe(50);
    expect(Math.max(...a)).toBeLessThan(1000);
    expect(sampledIndices(1000, 50, 7)).toEqual(a);
    expect(sampledIndices(1000, 50, 8)).not.toEqual(a);
  });

  it('grows the buffer with every finished chunk', () => {
    const options = { mode: 'replay' as const, size: 5, ratio: 0.25 };
    const first = extendReplay(null, tinySet(20, 1), options, 1)!;
    const second = extendReplay(first, tinySet(20, 2), options, 2)!;
    expect(first.count).toBe(5);
    expect(second.count).toBe(10);
    expect(second.images.slice(0, 20).every((v) => v === 1)).toBe(true);
    expect(second.images.slice(20).every((v) => v === 2)).toBe(true);
    expect(extendReplay(null, tinySet(20, 1), { mode: 'none' }, 1)).toBeNull();
  });

  it('adds nothing on a later visit of a chunk it holds already (a cyclic relay), whatever the selection', () => {
    for (const selection of ['random', 'reservoir'] as const) {
      const options = { mode: 'replay' as const, size: 5, ratio: 0.25, selection };
      const first = extendReplay(null, tinySet(20, 1), options, 1)!;
      expect(extendReplay(first, tinySet(20, 1), { ...options, extend: false }, 2)).toBe(first);
      expect(extendReplay(null, tinySet(20, 1), { ...options, extend: false }, 2)).toBeNull();
    }
  });
});

describe('reservoir replay', () => {
  const options = { mode: 'replay' as const, size: 10, ratio: 0.25, selection: 'reservoir' as const };

  it('fills up to its capacity, then holds exactly that many', () => {
    const first = extendReplay(null, tinySet(6, 1), options, 1)!;
    expect([first.count, first.seen]).toEqual([6, 6]);
    const second = extendReplay(first, tinySet(20, 2), options, 2)!;
    expect([second.count, second.seen]).toEqual([10, 26]);
    expect(second.images.slice(0, 40).some((v) => v === 2)).toBe(true);
  });

  it('keeps every sample of the stream with the same probability', () => {
    // 3 chunks of 10 through a buffer of 10: each of the 30 samples should be kept ~1/3 of the time.
    const kept = new Float64Array(30);
    const trials = 3000;
    for (let t = 0; t < trials; t++) {
      const owner = Array.from({ length: 10 }, () => -1);
      let held = 0;
      for (let c = 0; c < 3; c++) {
        for (const [slot, i] of reservoirSlots(c * 10, 10, 10, held, t * 7 + c)) owner[slot] = c * 10 + i;
        held = Math.min(10, held + 10);
      }
      for (const sample of owner) kept[sample]++;
    }
    for (const k of kept) expect(Math.abs(k / trials - 1 / 3)).toBeLessThan(0.05);
  });
});

describe('batch composition', () => {
  it('mixes the set share of replayed samples into every batch', () => {
    const perBatch = replayPerBatch({ mode: 'replay', size: 10, ratio: 0.25 }, 16, 40);
    expect(perBatch).toBe(4);
    const sampler = new BatchSampler(100, 40, 16, perBatch, 3);
    for (let b = 0; b < 20; b++) {
      const batch = sampler.next();
      expect(batch).toHaveLength(16);
      expect(batch.filter((i) => i >= 100)).toHaveLength(4);
    }
  });

  it('visits every new sample once per epoch', () => {
    const sampler = new BatchSampler(30, 0, 10, 0, 4);
    const seen = [...sampler.next(), ...sampler.next(), ...sampler.next()];
    expect(new Set(seen).size).toBe(30);
  });
});
