/**
 * What each wire encoding costs in-process on a state of real size (bench/wire-state.ts):
 * the sender's encoding and the receiver's decoding (shared/wire/), and the bytes it puts
 * on the wire. The hand-off bench (bench/handoff.ts) measures the same encodings end to end.
 */
import { decodeWire, encodeWire } from '../shared/wire/wire-encoding.js';
import { transferLabel, type TransferSpec } from '../shared/wire/transfer-spec.js';
import type { ModelConfig } from './configs.js';
import type { WireCostResult } from './report-types.js';
import { benchState } from './wire-state.js';

/** Best of `repeats` timings of `f`, in seconds, and its last result. */
function timed<T>(f: () => T, repeats: number): { seconds: number; value: T } {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    value = f();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return { seconds: best, value };
}

/** Encodes and decodes the state of `model` in each of `specs` (best of `repeats`). */
export function measureWireCosts(config: string, model: ModelConfig, specs: readonly TransferSpec[], repeats = 3): WireCostResult[] {
  const { bytes, params } = benchState(model);
  return specs.map((spec) => {
    const encoded = timed(() => encodeWire(bytes, spec, 'state'), repeats);
    const decoded = timed(() => decodeWire(encoded.value, spec, { kind: 'state', what: 'bench state', maxBytes: 2 * bytes.byteLength }), repeats);
    return { config, transfer: transferLabel(spec), params, stateBytes: bytes.byteLength, wireBytes: encoded.value.byteLength, encodeSeconds: encoded.seconds, decodeSeconds: decoded.seconds };
  });
}
