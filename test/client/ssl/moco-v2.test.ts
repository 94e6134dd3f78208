import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncoderOptions } from '../../../client/models/encoder.js';
import { Sgd } from '../../../client/optim/sgd.js';
import { MocoV2, type MocoOptions } from '../../../client/ssl/moco-v2.js';
import { Random } from '../../../shared/random.js';
import { decodeState, encodeState } from '../../../shared/state/model-state.js';
import { arrayKind, partMetaOf } from '../../../shared/state/part-meta.js';
import { useWasm } from '../../support/backend.js';
import { methodContract } from './method-contract.js';

beforeAll(useWasm);

const encoder: EncoderOptions = { backbone: { inputChannels: 1, widths: [4, 8], blocksPerStage: 1, stemStride: 1 }, hiddenDim: 16, outputDim: 8, init: 'he-fan-out' };
const options: MocoOptions = { encoder, temperature: 0.2, queueSize: 24, momentum: 0.9, bnGroups: 2 };

function batch(seed: number): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const x = tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
    return [x, tf.add(x, tf.randomNormal([8, 8, 8, 1], 0, 0.1, 'float32', seed + 1)) as tf.Tensor4D];
  });
}

function run(method: MocoV2, optimizer: Sgd, steps: number, from: number, rng: Random): number[] {
  const losses: number[] = [];
  for (let s = from; s < from + steps; s++) {
    const [a, b] = batch(100 + s);
    losses.push(method.step({ view1: a, view2: b }, optimizer, 0.05, rng));
    tf.dispose([a, b]);
  }
  return losses;
}

describe('MoCo v2', () => {
  it('takes a finite step when the projection head emits all-zero rows (every hidden ReLU of a sample off)', async () => {
    const method = new MocoV2(options, 3);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
    const state = await method.exportState();
    // A head whose last layer is all zero maps every sample to the zero row (zero biases, as initialized).
    for (const part of ['online', 'key'] as const) state[part]['head.fc2.w'].values.fill(0);
    method.importState(state);
    const loss = run(method, optimizer, 1, 0, new Random(2))[0];
    // Every query is the zero row: all logits 0, so the loss is log(1 + queue size).
    expect(loss).toBeCloseTo(Math.log(1 + options.queueSize), 4);
    const after = await method.exportState();
    for (const [name, array] of Object.entries(after.online)) expect(array.values.every(Number.isFinite), `online ${name} finite`).toBe(true);
    method.dispose();
    optimizer.dispose();
  });

  it('moves the online weights and the key encoder follows them', async () => {
    const method = new MocoV2(options, 3);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
    const before = await method.exportState();
    run(method, optimizer, 2, 0, new Random(2));
    const after = await method.exportState();
    for (const part of ['online', 'key'] as const) {
      const name = 'backbone.stem.w';
      const moved = before[part][name].values.some((v, i) => Math.abs(v - after[part][name].values[i]) > 1e-7);
      expect(moved, `${part} ${name} moved`).toBe(true);
    }
    method.dispose();
    optimizer.dispose();
  });

  it('resumes exactly from an exported state (queue, key encoder, optimizer included)', async () => {
    const straight = new MocoV2(options, 2);
    const straightOpt = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
    const expected = run(straight, straightOpt, 6, 0, new Random(5));

    const first = new MocoV2(options, 2);
    const firstOpt = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
    const rng = new Random(5);
    const head = run(first, firstOpt, 3, 0, rng);
    const state = await first.exportState();
    const optState = await firstOpt.exportState();
    first.dispose();
    firstOpt.dispose();

    const second = new MocoV2(options, 99); // a different init: everything must come from the state
    second.importState(state);
    const secondOpt = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
    secondOpt.importState(optState, second.online.trainable);
    const tail = run(second, secondOpt, 3, 3, rng);
    [...head, ...tail].forEach((loss, i) => expect(loss).toBeCloseTo(expected[i], 4));
    for (const m of [straight, second]) m.dispose();
    straightOpt.dispose();
    secondOpt.dispose();
  });

  it('says in its state that the queue is taken whole, its keys are unit rows and its pointer a position', async () => {
    const method = new MocoV2(options, 1);
    const state = decodeState(encodeState({ method: 'moco-v2', step: 0, methodState: await method.exportState(), partMeta: method.partMeta, optimizer: null }));
    expect(partMetaOf(state.partMeta, 'queue').combine).toBe('whole');
    expect(['online', 'key'].map((part) => partMetaOf(state.partMeta, part).combine)).toEqual(['average', 'average']);
    expect(arrayKind(state.partMeta, 'queue', 'queue')).toBe('unit-rows');
    expect(arrayKind(state.partMeta, 'queue', 'pointer')).toBe('position');
    method.dispose();
  });

  it('refuses a state of another shape', async () => {
    const small = new MocoV2(options, 1);
    const state = await small.exportState();
    const wide = new MocoV2({ ...options, encoder: { ...encoder, backbone: { ...encoder.backbone, widths: [4, 16] } } }, 1);
    expect(() => wide.importState(state)).toThrow(/shape/);
    small.dispose();
    wide.dispose();
  });

  it('refuses weights that are not finite', async () => {
    const method = new MocoV2(options, 1);
    const state = await method.exportState();
    const name = Object.keys(state.online)[0];
    state.online[name].values[0] = Number.NaN;
    expect(() => method.importState(state)).toThrow(/non-finite/);
    method.dispose();
  });
});

// The shared contract (ExtraLoss hook, non-finite refusal, exact resume); no fixed-batch
// test: the queue changes every step, so MoCo's fixed-batch objective is not defined
// (its pure infoNce is tested in losses.test.ts).
methodContract('MoCo v2', {
  create: (seed, enc = encoder) => new MocoV2({ ...options, encoder: enc }, seed),
  parts: ['online', 'key', 'queue'],
});
