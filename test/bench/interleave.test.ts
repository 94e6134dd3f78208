/**
 * Interleaved thread scaling with real processes (bench/interleave.ts): warm slice workers
 * of the tiny configuration stepped in turn, PyTorch's beside them where python3 imports
 * torch; and peers that break the protocol, refused with a message that names them,
 * without leaving any process behind.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureInterleaved, type InterleaveOptions } from '../../bench/interleave.js';
import { probeTorch } from '../../bench/torch-reference.js';

const base: InterleaveOptions = {
  config: 'tiny',
  threads: [1, 2],
  cycles: 2,
  sliceSeconds: 0.2,
  copies: true,
  torchPython: null,
  backend: 'wasm',
  batchNorm: 'fused',
  convolutions: 'winograd',
  quick: true,
};

/** An executable standing in for python3: runs `body` as a shell script, whatever its arguments. */
function fakePython(body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'streamssl-fake-python-')), 'python3');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const READY = `echo 'STREAMSSL_BENCH_RESULT {"threadsActual":1,"warmStepMs":5}'`;

describe('measureInterleaved', () => {
  it('steps warm processes in turn and takes every ratio within a cycle', async () => {
    const torch = probeTorch();
    const { scaling: [s], variants } = await measureInterleaved({ ...base, torchPython: torch.python });
    expect(variants).toEqual([]);
    expect(s).toMatchObject({ config: 'tiny', threads: 2, baseThreads: 1, cycles: 2, sliceSeconds: 0.2 });
    expect(s.ratios).toHaveLength(2);
    expect(s.copiesRatios).toHaveLength(2);
    for (const x of [...s.ratios, ...s.copiesRatios!]) expect(x).toBeGreaterThan(0);
    for (const x of s.copiesOverlap!) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
    expect(s.median.ratio).toBe(Math.min(...s.ratios));
    if (torch.python) expect(s.torchRatios).toHaveLength(2);
    else expect(s.torchRatios).toBeUndefined();
  }, 180_000);

  it('steps a variant of each thread count beside the plain process in every cycle', async () => {
    // Without the addon: the variant's processes say so, so the environment reached them.
    const env = { STREAMSSL_ONEDNN: '0' };
    const { scaling: [s], variants } = await measureInterleaved({ ...base, copies: false, variantEnv: env });
    expect(variants.map((v) => [v.config, v.env, v.threads, v.ratios.length])).toEqual([['tiny', env, 1, 2], ['tiny', env, 2, 2]]);
    for (const v of variants) expect(v.backend).toMatch(/^wasm on \d threads? \(no oneDNN kernels: .*disabled by STREAMSSL_ONEDNN=0\)$/);
    for (const [i, c] of s.perCycle.entries()) {
      for (const t of [1, 2]) expect(variants[t - 1].ratios[i]).toBe(c.variant![t] / c.ours[t]);
    }
  }, 180_000);

  it('refuses a peer whose ready line lacks its pace, naming it, and stops every process it started', async () => {
    const python = fakePython(`${READY.replace(',"warmStepMs":5', '')}\nexec sleep 60`);
    const t0 = Date.now();
    await expect(measureInterleaved({ ...base, copies: false, torchPython: python })).rejects.toThrow(/^PyTorch tiny on 1 thread\(s\): the ready line has no usable warmStepMs/);
    // The sleeping peer was ended, not waited for.
    expect(Date.now() - t0).toBeLessThan(50_000);
  }, 120_000);

  it('names a peer that dies in the middle of a slice', async () => {
    const python = fakePython(`${READY}\nread line\nexit 3`);
    await expect(measureInterleaved({ ...base, copies: false, torchPython: python })).rejects.toThrow(/exited with code 3/);
  }, 120_000);

  it('names a peer that answers a different slice than the one asked for', async () => {
    const python = fakePython(`${READY}\nread line\necho 'STREAMSSL_BENCH_RESULT {"steps":99999,"fromMs":1,"toMs":2,"imgPerSec":5}'\nexec sleep 60`);
    await expect(measureInterleaved({ ...base, copies: false, torchPython: python })).rejects.toThrow(/^PyTorch tiny on 1 thread\(s\): asked for \d+ steps, the slice line reports 99999/);
  }, 120_000);
});
