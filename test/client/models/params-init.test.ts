import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createParams, disposeParams, paramsToArrays } from '../../../client/models/params.js';
import { bnDecls, convDecls, denseDecls } from '../../../shared/model/decls.js';
import { encoderOptions } from '../../../shared/model/encoder.js';
import { INIT_SCHEMES, type InitScheme } from '../../../shared/model/init.js';
import { modelSchema } from '../../../shared/scenario.js';
import { SSL_LAYOUTS } from '../../../shared/ssl-layout.js';
import type { ParamDecl } from '../../../shared/model/decls.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

async function draw(decls: ParamDecl[], scheme: InitScheme, seed = 3): Promise<Record<string, Float32Array>> {
  const p = createParams(decls, seed, scheme);
  const arrays = await paramsToArrays(p);
  disposeParams(p);
  return Object.fromEntries(Object.entries(arrays).map(([name, a]) => [name, a.values]));
}

function moments(v: Float32Array): { mean: number; variance: number; maxAbs: number } {
  let sum = 0;
  let maxAbs = 0;
  for (const x of v) {
    sum += x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = sum / v.length;
  let sq = 0;
  for (const x of v) sq += (x - mean) ** 2;
  return { mean, variance: sq / v.length, maxAbs };
}

/**
 * Checks a large sample against its stated distribution: the mean within 5 standard errors
 * of 0, the variance within 5% of `variance` (its standard error is about 1% at these
 * sizes), and for a uniform one every value inside the bound and the extremes close to it.
 */
function expectDrawnFrom(v: Float32Array, dist: { variance: number; uniformBound?: number }): void {
  const m = moments(v);
  expect(Math.abs(m.mean)).toBeLessThan(5 * Math.sqrt(dist.variance / v.length));
  expect(m.variance / dist.variance).toBeGreaterThan(0.95);
  expect(m.variance / dist.variance).toBeLessThan(1.05);
  if (dist.uniformBound !== undefined) {
    expect(m.maxAbs).toBeLessThanOrEqual(Math.fround(dist.uniformBound));
    expect(m.maxAbs).toBeGreaterThan(0.999 * dist.uniformBound);
  }
}

// A 3x3 convolution 64 -> 128 (73,728 weights; fan-in 576, fan-out 1152) and a dense 512 -> 256.
const conv = convDecls('c', 3, 64, 128);
const dense = denseDecls('d', 512, 256);
const fanIn = { conv: 9 * 64, dense: 512 };
const fanOut = { conv: 9 * 128, dense: 256 };
const uniform = (bound: number) => ({ variance: bound ** 2 / 3, uniformBound: bound });

describe('model.init: each scheme draws from its stated distribution', () => {
  it('he-fan-out: convolutions N(0, 2/fan_out), dense U(+-1/sqrt(fan_in)), biases zero', async () => {
    const v = await draw([...conv, ...dense], 'he-fan-out');
    expectDrawnFrom(v['c.w'], { variance: 2 / fanOut.conv });
    // A normal, not a uniform: values beyond sqrt(3) standard deviations occur.
    expect(moments(v['c.w']).maxAbs).toBeGreaterThan(3 * Math.sqrt(2 / fanOut.conv));
    expectDrawnFrom(v['d.w'], uniform(1 / Math.sqrt(fanIn.dense)));
    expect(v['d.b'].every((x) => x === 0)).toBe(true);
  });

  it('torch-default: kaiming-uniform(a = sqrt(5)) weights, U(+-1/sqrt(fan_in)) biases', async () => {
    const v = await draw([...conv, ...dense], 'torch-default');
    expectDrawnFrom(v['c.w'], uniform(1 / Math.sqrt(fanIn.conv)));
    expectDrawnFrom(v['d.w'], uniform(1 / Math.sqrt(fanIn.dense)));
    // 256 values: the moments are loose, the bound is exact.
    const b = moments(v['d.b']);
    expect(b.maxAbs).toBeLessThanOrEqual(Math.fround(1 / Math.sqrt(fanIn.dense)));
    expect(b.maxAbs).toBeGreaterThan(0.9 / Math.sqrt(fanIn.dense));
    expect(new Set(v['d.b']).size).toBeGreaterThan(250);
  });

  it('xavier: U(+-sqrt(6/(fan_in + fan_out))), biases zero', async () => {
    const v = await draw([...conv, ...dense], 'xavier');
    expectDrawnFrom(v['c.w'], uniform(Math.sqrt(6 / (fanIn.conv + fanOut.conv))));
    expectDrawnFrom(v['d.w'], uniform(Math.sqrt(6 / (fanIn.dense + fanOut.dense))));
    expect(v['d.b'].every((x) => x === 0)).toBe(true);
  });

  it('batch norm starts at scale 1, shift 0 and unit running variance under every scheme', async () => {
    for (const scheme of INIT_SCHEMES) {
      const v = await draw(bnDecls('bn', 8), scheme);
      expect([...v['bn.gamma'], ...v['bn.var']].every((x) => x === 1)).toBe(true);
      expect([...v['bn.beta'], ...v['bn.mean']].every((x) => x === 0)).toBe(true);
    }
  });

  it('the schemes change values, not the layout a state must have', async () => {
    const encoder = encoderOptions(modelSchema.parse({ widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 }), 1);
    const drawn = await Promise.all(INIT_SCHEMES.map((s) => draw(SSL_LAYOUTS.byol({ ...encoder, init: s }, { predictorHidden: 12 }).online, s)));
    const layout = (v: Record<string, Float32Array>) => Object.entries(v).map(([name, a]) => `${name}:${a.length}`);
    for (const d of drawn) expect(layout(d)).toEqual(layout(drawn[0]));
    expect(drawn[1]['backbone.stem.w']).not.toEqual(drawn[0]['backbone.stem.w']);
  });
});

describe('model.init default', () => {
  it('is he-fan-out, and draws the same values as before the option existed', async () => {
    const model = modelSchema.parse({ widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 });
    expect(model.init).toBeUndefined();
    const encoder = encoderOptions(model, 1, 10);
    expect(encoder.init).toBe('he-fan-out');
    // SHA-256 of BYOL's online parameters (convolutions, batch norms, dense layers with
    // biases), names sorted, as main drew them before model.init (commit c7ad2c7).
    const expected: Record<number, string> = {
      0: 'dce234561d2db91ed909adbb4e7158a9a8d771066a6e8206d358e3f5602e1572',
      12345: 'a041e869512beae4ca23aa8f959ca94fc56b506d1dfe38602c788e928d2b8762',
    };
    for (const [seed, digest] of Object.entries(expected)) {
      const v = await draw(SSL_LAYOUTS.byol(encoder, { predictorHidden: 12 }).online, encoder.init, Number(seed));
      const h = createHash('sha256');
      for (const name of Object.keys(v).sort()) {
        h.update(name);
        h.update(new Uint8Array(v[name].buffer, v[name].byteOffset, v[name].byteLength));
      }
      expect(h.digest('hex')).toBe(digest);
    }
  });
});
