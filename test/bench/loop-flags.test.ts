/**
 * The training loop's flags as both bench workers read them (bench/loop-flags.ts):
 * defaults, and refusals that name the flag and the value given.
 */
import { describe, expect, it } from 'vitest';
import { readLoopFlags } from '../../bench/loop-flags.js';

const base = { backend: 'wasm', threads: '2', widths: '16,32,64,128', batch: '64', warmup: '2', 'batch-norm': 'fused', convolutions: 'winograd' };

describe('readLoopFlags', () => {
  it('reads every flag, data workers only when given', () => {
    expect(readLoopFlags(base)).toEqual({ backend: 'wasm', threads: 2, widths: [16, 32, 64, 128], batch: 64, warmup: 2, batchNorm: 'fused', convolutions: 'winograd' });
    expect(readLoopFlags({ ...base, 'data-workers': '0' }).dataWorkers).toBe(0);
  });

  it('refuses a bad value, naming the flag and what was given', () => {
    expect(() => readLoopFlags({ ...base, threads: '0' })).toThrow(/--threads: .*"0"/);
    expect(() => readLoopFlags({ ...base, widths: '16,x,64' })).toThrow(/--widths: .*"x"/);
    expect(() => readLoopFlags({ ...base, batch: undefined })).toThrow(/--batch: /);
    expect(() => readLoopFlags({ ...base, 'data-workers': '-1' })).toThrow(/--data-workers: .*"-1"/);
    expect(() => readLoopFlags({ ...base, 'batch-norm': 'both' })).toThrow(/--batch-norm/);
  });
});
