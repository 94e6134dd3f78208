/** The interleaved scaling's and its variant's text (bench/format.ts): medians first, each with the range of its cycles. */
import { describe, expect, it } from 'vitest';
import { interleavedText, variantText } from '../../bench/format.js';
import { summarize, summarizeVariant } from '../../bench/interleave-plan.js';

describe('interleavedText', () => {
  it("gives each median with its cycles' range, PyTorch's and the copies' beside it", () => {
    const scaling = summarize('small', [1, 2], 4, [
      { ours: { 1: 100, 2: 150 }, torch: { 1: 50, 2: 90 }, copies: { 2: { imgPerSec: [90, 90], overlap: 0.95 } } },
      { ours: { 1: 100, 2: 130 }, torch: { 1: 50, 2: 80 }, copies: { 2: { imgPerSec: [85, 85], overlap: 0.9 } } },
    ]);
    expect(interleavedText(scaling)).toEqual([
      'thread scaling from interleaved slices (medians over the cycles; range):',
      '  small: 2 over 1: 1.30x (1.30x-1.50x) over 2 cycles of 4 s slices',
      '    PyTorch: 1.60x (1.60x-1.80x)',
      "    2 one-thread copies at once: 1.70x (1.70x-1.80x); the threads reach 76% of the copies' speed-up, lowest copies overlap 90%",
    ]);
  });

  it('says cycle for one, and leaves out what was not measured', () => {
    const scaling = summarize('tiny', [1, 2], 0.5, [{ ours: { 1: 10, 2: 15 } }]);
    expect(interleavedText(scaling)).toEqual([
      'thread scaling from interleaved slices (medians over the cycles; range):',
      '  tiny: 2 over 1: 1.50x (1.50x-1.50x) over 1 cycle of 0.5 s slices',
    ]);
  });
});

describe('variantText', () => {
  it('names the variant once per environment, then each configuration and thread count', () => {
    const cycles = [{ ours: { 1: 100, 2: 160 }, variant: { 1: 50, 2: 176 } }, { ours: { 1: 100, 2: 160 }, variant: { 1: 40, 2: 160 } }];
    const env = { STREAMSSL_ONEDNN: '0', OMP_PLACES: 'cores' };
    expect(variantText([...summarizeVariant('small', env, [1, 2], cycles), ...summarizeVariant('resnet18', env, [1], cycles)])).toEqual([
      'variant STREAMSSL_ONEDNN=0 OMP_PLACES=cores over the plain processes, in the same cycles (medians; range):',
      '  small on 1 thread: 0.40x (0.40x-0.50x)',
      '  small on 2 threads: 1.00x (1.00x-1.10x)',
      '  resnet18 on 1 thread: 0.40x (0.40x-0.50x)',
    ]);
  });

  it("adds what the variant's process said it computes on, where it said", () => {
    const [v] = summarizeVariant('small', { STREAMSSL_ONEDNN: '0' }, [1], [{ ours: { 1: 100 }, variant: { 1: 40 } }]);
    expect(variantText([{ ...v, backend: 'wasm: oneDNN addon off (STREAMSSL_ONEDNN=0)' }])[1]).toBe(
      '  small on 1 thread: 0.40x (0.40x-0.40x); computes on wasm: oneDNN addon off (STREAMSSL_ONEDNN=0)',
    );
  });
});
