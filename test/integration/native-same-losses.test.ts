/**
 * The oneDNN kernels change speed, not results: the same MoCo-v2 stage (same seed, same
 * backend) gives the same losses and weights, within float tolerance, with and without
 * them.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../client/engine/index.js';
import { decodeState } from '../../shared/state/model-state.js';
import { nativeConvKernelsRegistered, unregisterNativeKernels } from '../../client/kernels/native/register.js';
import { parseScenario } from '../../shared/scenario.js';
import { stageTask } from '../support/train-task.js';

const s = parseScenario({
  name: 'native',
  seed: 4,
  dataset: { name: 'synthetic', perClass: 16, imageSize: 16 },
  stream: { type: 'instance', chunks: 1 },
  model: { widths: [8, 16], blocksPerStage: 1, projectionHidden: 32, projectionDim: 16 },
  ssl: { queueSize: 64 },
  training: { batchSize: 32 },
  arms: [{ name: 'relay', mode: 'relay' }],
});

const task = stageTask(s, 0, {
  steps: 5,
  optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', totalSteps: 5, startStep: 0, keepOptimizerState: true },
  replay: { mode: 'none' },
});

describe('oneDNN kernels', async () => {
  const engine = await createEngine({ backend: 'wasm', threads: 1 });
  it.skipIf(!nativeConvKernelsRegistered())('train exactly as the wasm kernels do, within float tolerance', async () => {
    const losses = (p: number[]) => (q: { loss: number }) => p.push(q.loss);
    const withNative: number[] = [];
    const native = await engine.train(task, null, null, losses(withNative));
    unregisterNativeKernels();
    const withWasm: number[] = [];
    const wasm = await engine.train(task, null, null, losses(withWasm));
    expect(native.metrics.lossFirst).toBeCloseTo(wasm.metrics.lossFirst, 4);
    expect(Math.abs(native.metrics.lossLast - wasm.metrics.lossLast)).toBeLessThan(1e-3 * Math.abs(wasm.metrics.lossLast));
    const a = decodeState(native.state).methodState.online['backbone.stem.w'].values;
    const b = decodeState(wasm.state).methodState.online['backbone.stem.w'].values;
    const scale = Math.max(...Array.from(b, Math.abs));
    expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))) / scale).toBeLessThan(1e-3);
  });
});
