/**
 * Winograd convolutions (client/kernels/native/conv-algorithm.ts, native/conv.cc):
 * which geometries ask for them, that the addon falls back to direct where oneDNN has
 * none, that they agree with the cpu backend (another rounding, so a looser bound than
 * direct's), and that a task's choice is put back after it. The addon checks are
 * skipped where it is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withConvolutions } from '../../../client/engine/convolutions.js';
import { useWinogradConvolutions, winogradFlag, winogradUse, WINOGRAD_FLAG, type WinogradUse } from '../../../client/kernels/native/conv-algorithm.js';
import { ConvKind, loadOneDnn, PARAM_COUNT } from '../../../client/kernels/native/onednn.js';
import { registerNativeConvKernels } from '../../../client/kernels/native/register.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { relErr } from '../../support/compare.js';
import { againstCpu, convRandom, type ConvCase } from '../../support/conv-cases.js';

/** The addon's params for a 'same' convolution of n images h x h x ci into co channels. */
function params(o: { n?: number; h: number; ci: number; co: number; k?: number; stride?: number; dilation?: number; flags?: number }): Int32Array {
  const k = o.k ?? 3, s = o.stride ?? 1, d = o.dilation ?? 1;
  const out = Math.ceil(o.h / s);
  const pad = Math.max(0, ((out - 1) * s + (k - 1) * d + 1 - o.h));
  const p = new Int32Array([o.n ?? 2, o.h, o.h, o.ci, o.co, k, k, out, out, s, s, pad >> 1, pad >> 1, pad - (pad >> 1), pad - (pad >> 1), d, d, o.flags ?? 1]);
  expect(p.length).toBe(PARAM_COUNT);
  return p;
}

afterEach(() => useWinogradConvolutions('never'));

describe('which convolutions ask for winograd', () => {
  const flag = (use: WinogradUse, p: Int32Array) => {
    useWinogradConvolutions(use);
    return winogradFlag(ConvKind.forward, p);
  };

  it('none unless a scenario asks', () => {
    expect(winogradUse()).toBe('never');
    expect(flag('never', params({ h: 8, ci: 64, co: 64 }))).toBe(0);
  });

  it('where faster: 3x3 stride-1 convolutions of 32 channels or more with outputs of 4x4 or more', () => {
    expect(flag('where-faster', params({ h: 8, ci: 64, co: 64 }))).toBe(WINOGRAD_FLAG);
    expect(flag('where-faster', params({ h: 4, ci: 32, co: 32 }))).toBe(WINOGRAD_FLAG);
    expect(flag('where-faster', params({ h: 14, ci: 16, co: 16 })), '16 channels').toBe(0);
    expect(flag('where-faster', params({ h: 8, ci: 3, co: 64 })), 'a stem').toBe(0);
    expect(flag('where-faster', params({ h: 2, ci: 128, co: 128 })), '2x2 output').toBe(0);
    expect(flag('where-faster', params({ h: 8, ci: 64, co: 128, stride: 2 })), 'stride 2').toBe(0);
    expect(flag('where-faster', params({ h: 8, ci: 64, co: 128, k: 1 })), '1x1').toBe(0);
    expect(flag('where-faster', params({ h: 8, ci: 64, co: 64, dilation: 2 })), 'dilated').toBe(0);
  });

  it('wherever possible: any 3x3 stride-1 undilated convolution', () => {
    expect(flag('wherever-possible', params({ h: 14, ci: 16, co: 16 }))).toBe(WINOGRAD_FLAG);
    expect(flag('wherever-possible', params({ h: 8, ci: 64, co: 128, stride: 2 }))).toBe(0);
  });

  it("a task's choice lasts for the task, and is put back after it even when it fails", async () => {
    await expect(withConvolutions('winograd', async () => winogradUse())).resolves.toBe('where-faster');
    expect(winogradUse()).toBe('never');
    await expect(withConvolutions(undefined, async () => winogradUse())).resolves.toBe('never');
    await expect(withConvolutions('winograd', async () => {
      throw new Error('stage failed');
    })).rejects.toThrow('stage failed');
    expect(winogradUse()).toBe('never');
  });
});

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

describe.skipIf(skipReason !== '')(`winograd in the oneDNN addon${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const addon = loaded.addon!;
  const kinds = [ConvKind.forward, ConvKind.backwardData, ConvKind.backwardWeights];
  // oneDNN 2.x has winograd only on AVX-512 machines (this project's CI has it).
  const hasWinograd = () => addon.implName(ConvKind.forward, params({ h: 8, ci: 32, co: 32 })).includes('avx512');

  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.setBackend('wasm');
    registerWasmConvGradients();
    expect(registerNativeConvKernels({ threads: 1 })).toMatchObject({ ok: true });
  });

  it('falls back to the direct kernel where oneDNN has no winograd one, and refuses unknown flags', () => {
    for (const kind of kinds) {
      const strided = params({ h: 8, ci: 32, co: 32, stride: 2 });
      const direct = addon.implName(kind, strided);
      expect(addon.implName(kind, params({ h: 8, ci: 32, co: 32, stride: 2, flags: 1 | WINOGRAD_FLAG }))).toBe(direct);
      expect(direct).not.toMatch(/wino/);
    }
    expect(() => addon.implName(ConvKind.forward, params({ h: 8, ci: 32, co: 32, flags: 8 }))).toThrow(/flags must be/);
  });

  it('builds winograd kernels for all three kinds when asked, where oneDNN has them, else the direct ones', () => {
    const wino = params({ h: 8, ci: 64, co: 64, flags: 1 | WINOGRAD_FLAG });
    const names = kinds.map((kind) => addon.implName(kind, wino));
    const direct = kinds.map((kind) => addon.implName(kind, params({ h: 8, ci: 64, co: 64 })));
    for (let i = 0; i < kinds.length; i++) {
      if (hasWinograd()) expect(names[i], `kind ${kinds[i]}`).toMatch(/wino/);
      else expect(names[i]).toBe(direct[i]);
    }
  });

  const random = convRandom(977);
  const cases: ConvCase[] = [
    { n: 3, h: 8, w: 8, ci: 32, co: 32, kh: 3, kw: 3, strides: [1, 1], pad: 'same' },
    { n: 2, h: 4, w: 4, ci: 64, co: 48, kh: 3, kw: 3, strides: [1, 1], pad: 'same' },
    { n: 2, h: 10, w: 7, ci: 32, co: 40, kh: 3, kw: 3, strides: [1, 1], pad: 'valid' },
    { n: 4, h: 7, w: 7, ci: 16, co: 16, kh: 3, kw: 3, strides: [1, 1], pad: 'same' },
  ];
  for (const use of ['where-faster', 'wherever-possible'] as const) {
    it(`agree with the cpu backend (${use})`, async () => {
      useWinogradConvolutions(use);
      for (const c of cases) {
        const { got, ref } = await againstCpu('wasm', c, random);
        const label = JSON.stringify(c);
        // Measured: 0.6-2.6e-6 against direct's 0.3-1.6e-6 (its transforms round more).
        expect(relErr(got.y, ref.y), `forward ${label}`).toBeLessThan(2e-5);
        expect(relErr(got.dx!, ref.dx!), `dx ${label}`).toBeLessThan(2e-5);
        expect(relErr(got.dw!, ref.dw!), `dW ${label}`).toBeLessThan(2e-5);
      }
    });
  }

  it('reach the kernels through tfjs: asked for, a convolution rounds as winograd does, else as before', async () => {
    const c = cases[0];
    const run = async (use: WinogradUse) => {
      useWinogradConvolutions(use);
      return (await againstCpu('wasm', c, convRandom(5))).got;
    };
    const direct = await run('never');
    const wino = await run('where-faster');
    expect(await run('never'), 'direct is deterministic').toEqual(direct);
    for (const key of ['y', 'dx', 'dw'] as const) {
      if (hasWinograd()) expect(wino[key], key).not.toEqual(direct[key]);
      else expect(wino[key], key).toEqual(direct[key]);
    }
  });
});
