/**
 * Saved tensors without clones (client/optim/lean-saves.ts): the same values and
 * gradients bit for bit as the engine's own saves, through tf.variableGrads and
 * leanVariableGrads; no Identity kernel for a save; nothing left behind; the engine's own
 * save inside nested gradients and on other backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createParams, disposeParams, type Params } from '../../../client/models/params.js';
import { backboneDecls, backboneForward, type BackboneOptions } from '../../../client/models/resnet.js';
import { leanVariableGrads } from '../../../client/optim/lean-grads.js';
import { useEngineSaves, useLeanSaves } from '../../../client/optim/lean-saves.js';
import { useWasm } from '../../support/backend.js';
import { readGrads } from '../../support/read-grads.js';

const backbone: BackboneOptions = { inputChannels: 3, widths: [8, 16], blocksPerStage: 2, stemStride: 1 };

/** Counts the Identity kernels run while `f` runs, by wrapping the active backend's. */
function countIdentities<T>(f: () => T): { out: T; identities: number } {
  const kernel = tf.getKernel('Identity', tf.getBackend())!;
  let identities = 0;
  tf.unregisterKernel('Identity', tf.getBackend());
  tf.registerKernel({ ...kernel, kernelFunc: (args) => {
    identities++;
    return kernel.kernelFunc(args);
  } });
  try {
    return { out: f(), identities };
  } finally {
    tf.unregisterKernel('Identity', tf.getBackend());
    tf.registerKernel(kernel);
  }
}

describe('lean saves', () => {
  let p: Params;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useWasm();
    p = createParams(backboneDecls(backbone), 7, 'he-fan-out');
    x = tf.randomNormal([16, 12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  });
  afterEach(() => useLeanSaves());
  afterAll(async () => {
    disposeParams(p);
    x.dispose();
    await tf.setBackend('wasm');
  });

  const loss = (): tf.Scalar => tf.mean(tf.square(backboneForward(p, backbone, x, { training: true, bnGroups: 4 })));
  const vars = () => [...p.trainable.values()];

  it('is in place once a backend is selected', () => {
    expect(useLeanSaves()).toBe(true);
  });

  for (const [label, grads] of [['tf.variableGrads', tf.variableGrads], ['leanVariableGrads', leanVariableGrads]] as const) {
    it(`gives the engine's saves' value and gradients bit for bit through ${label}, with no Identity kernel for a save`, async () => {
      useEngineSaves();
      const engine = countIdentities(() => grads(loss, vars()));
      const reference = await readGrads(engine.out);
      useLeanSaves();
      const lean = countIdentities(() => grads(loss, vars()));
      const values = await readGrads(lean.out);
      expect(Object.keys(values).sort()).toEqual(Object.keys(reference).sort());
      for (const name of Object.keys(reference)) expect(values[name], name).toEqual(reference[name]);
      // Each convolution, batch norm and ReLU saves at least one tensor; what Identity
      // kernels are left run in the backward pass (its same-dtype casts alias through them).
      expect(engine.identities).toBeGreaterThan(100);
      expect(lean.identities).toBeLessThan(engine.identities / 10);
    });
  }

  it('leaves no tensor behind, and frees the saved data with the gradients', async () => {
    useLeanSaves();
    await readGrads(leanVariableGrads(loss, vars())); // warm: plans and caches
    const before = tf.memory();
    await readGrads(tf.variableGrads(loss, vars()));
    await readGrads(leanVariableGrads(loss, vars()));
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
  });

  it('keeps the engine\'s clones inside nested gradients: second derivatives stay right', () => {
    useLeanSaves();
    const xs = tf.tensor1d([1, -2, 3]);
    // d2/dx2 of x^3 = 6x: the inner gradient reads the saved x, which the outer one differentiates.
    const second = tf.grad(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mul(v, v), v))));
    const out = second(xs);
    expect(Array.from(out.dataSync())).toEqual([6, -12, 18]);
    tf.dispose([xs, out]);
  });

  it("uses the engine's own save on a backend it does not know", async () => {
    useLeanSaves();
    tf.registerBackend('cpu-unknown', tf.findBackendFactory('cpu')!);
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'cpu-unknown' });
    await tf.setBackend('cpu-unknown');
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const { out, identities } = countIdentities(() => tf.variableGrads(() => tf.sum(tf.relu(v)), [v]));
    expect(identities).toBeGreaterThan(0);
    expect(Array.from(out.grads[v.name].dataSync())).toEqual([1, 1, 1]);
    tf.dispose([out.value, ...Object.values(out.grads), v]);
    await tf.setBackend('wasm');
    tf.removeBackend('cpu-unknown');
  });
});
