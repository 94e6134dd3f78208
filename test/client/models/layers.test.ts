import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNorm, bnDecls, updateRunningStats, type BatchStat } from '../../../client/models/layers.js';
import { createParams, param } from '../../../client/models/params.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

describe('ghost batch norm', () => {
  it('normalizes each group with its own statistics', () => {
    const p = createParams(bnDecls('bn', 1), 0, 'he-fan-out');
    // Two groups of 4 samples with very different means: per-group statistics centre each.
    const x = tf.tensor4d([1, 2, 3, 4, 101, 102, 103, 104], [8, 1, 1, 1]);
    const out = batchNorm(p, 'bn', x, { training: true, bnGroups: 2 }).dataSync();
    const first = Array.from(out.slice(0, 4)).reduce((a, b) => a + b, 0);
    const second = Array.from(out.slice(4)).reduce((a, b) => a + b, 0);
    expect(Math.abs(first)).toBeLessThan(1e-4);
    expect(Math.abs(second)).toBeLessThan(1e-4);
    // One group for the whole batch: the halves land far apart instead.
    const whole = batchNorm(p, 'bn', x, { training: true, bnGroups: 1 }).dataSync();
    expect(whole[0]).toBeLessThan(-0.9);
    expect(whole[7]).toBeGreaterThan(0.9);
  });

  it('folds measured statistics into the running averages used at evaluation', () => {
    const p = createParams(bnDecls('bn', 1), 0, 'he-fan-out');
    const stats: BatchStat[] = [];
    const x = tf.tensor4d([2, 4, 6, 8], [4, 1, 1, 1]);
    batchNorm(p, 'bn', x, { training: true, bnGroups: 1, stats });
    updateRunningStats(p, stats, 0.5);
    expect(stats).toHaveLength(0);
    expect(param(p, 'bn.mean').dataSync()[0]).toBeCloseTo(2.5, 5); // 0.5*0 + 0.5*5
    expect(param(p, 'bn.var').dataSync()[0]).toBeCloseTo(3, 5); // 0.5*1 + 0.5*5
    const evaluated = batchNorm(p, 'bn', tf.tensor4d([2.5], [1, 1, 1, 1]), { training: false, bnGroups: 1 }).dataSync()[0];
    expect(evaluated).toBeCloseTo(0, 4);
  });
});
