/**
 * A model state the size of a real one, for measuring wire encodings (bench/wire-costs.ts):
 * the online encoder of `model` (bench/configs.ts) with values drawn as the model initialises
 * them (He-normal kernels, batch norm ones and zeros), seeded, so runs compare.
 */
import { encoderDecls, encoderOptions } from '../shared/model/encoder.js';
import type { ParamArrays } from '../shared/state/arrays.js';
import { encodeState } from '../shared/state/model-state.js';
import { benchScenario, IMAGE, type ModelConfig } from './configs.js';

/** Standard normal draws from a seeded xorshift (Box-Muller). */
function normals(seed: number): () => number {
  let x = seed >>> 0 || 1;
  const uniform = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** The encoded float32 state of `model`'s online encoder, and its parameter count. */
export function benchState(model: ModelConfig, seed = 0x5eed): { bytes: Uint8Array; params: number } {
  const normal = normals(seed);
  const arrays: ParamArrays = {};
  let params = 0;
  for (const decl of encoderDecls(encoderOptions(benchScenario(model).model, IMAGE.channels))) {
    const values = new Float32Array(decl.shape.reduce((a, b) => a * b, 1));
    const fanIn = decl.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const scale = decl.init === 'conv' ? Math.sqrt(2 / fanIn) : decl.init === 'dense' ? Math.sqrt(1 / fanIn) : 0;
    const constant = decl.init === 'ones' ? 1 : 0;
    for (let i = 0; i < values.length; i++) values[i] = scale === 0 ? constant : normal() * scale;
    arrays[decl.name] = { shape: decl.shape, values };
    params += values.length;
  }
  return { bytes: encodeState({ method: 'mocov2', step: 0, methodState: { online: arrays }, optimizer: null }), params };
}
