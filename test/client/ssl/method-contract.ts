/**
 * The SslMethod contract every method's suite runs (not a test file itself): tensor
 * count, learning on a fixed batch, exact resume, state checks, the ExtraLoss hook.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { EncoderOptions } from '../../../client/models/encoder.js';
import { param } from '../../../client/models/params.js';
import { Sgd } from '../../../client/optim/sgd.js';
import type { ExtraLoss, SslMethod } from '../../../client/ssl/method.js';
import { Random } from '../../../shared/random.js';

/** A tiny encoder: two stages of one block, 8x8 single-channel images. */
export const tinyEncoder: EncoderOptions = { backbone: { inputChannels: 1, widths: [4, 8], blocksPerStage: 1, stemStride: 1 }, hiddenDim: 16, outputDim: 8, init: 'he-fan-out' };

/** Two views of a batch of 8 random images (seeds must not be 0: tfjs then draws a random one). */
export function views(seed: number): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const x = tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
    return [x, tf.add(x, tf.randomNormal([8, 8, 8, 1], 0, 0.2, 'float32', seed + 1)) as tf.Tensor4D];
  });
}

/** Steps on batches `from .. from+steps-1` (or on one fixed batch); returns the losses. */
export function train(method: SslMethod, optimizer: Sgd, steps: number, from: number, rng: Random, o: { fixed?: boolean; lr?: number } = {}): number[] {
  const losses: number[] = [];
  for (let s = from; s < from + steps; s++) {
    const [a, b] = views(o.fixed ? 100 : 100 + 2 * s);
    losses.push(method.step({ view1: a, view2: b }, optimizer, o.lr ?? 0.05, rng));
    tf.dispose([a, b]);
  }
  return losses;
}

function values(method: SslMethod, name: string): Float32Array {
  return param(method.online, name).dataSync() as Float32Array;
}

export interface ContractOptions {
  /** Creates the method; `encoder` defaults to tinyEncoder. */
  create(seed: number, encoder?: EncoderOptions): SslMethod;
  /** The parts its state has, e.g. ['online', 'target']. */
  parts: string[];
  /**
   * Steps on one fixed batch, and the fraction of the first loss's distance to the
   * loss's `floor` they must cover. Omitted where the fixed-batch objective is not
   * well-defined (MoCo: the queue changes every step).
   */
  fixedBatch?: { steps: number; floor: number; progress: number; lr?: number };
}

export function methodContract(name: string, o: ContractOptions): void {
  const sgd = (weightDecay = 1e-4) => new Sgd({ momentum: 0.9, weightDecay });

  describe(`${name} as an SslMethod`, () => {
    it('keeps the number of tensors constant across steps', () => {
      const method = o.create(1);
      const optimizer = sgd();
      const rng = new Random(1);
      train(method, optimizer, 2, 0, rng);
      const before = tf.memory().numTensors;
      train(method, optimizer, 4, 2, rng);
      expect(tf.memory().numTensors).toBe(before);
      method.dispose();
      optimizer.dispose();
    });

    const fixed = o.fixedBatch;
    if (fixed) {
      it('lowers its loss under repeated steps on a fixed batch', () => {
        const method = o.create(2);
        const optimizer = sgd(0);
        const losses = train(method, optimizer, fixed.steps, 0, new Random(2), { fixed: true, lr: fixed.lr });
        const first = losses[0];
        const last = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(last, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(first - fixed.progress * (first - fixed.floor));
        method.dispose();
        optimizer.dispose();
      });
    }

    it('resumes exactly from an exported state (every network and the optimizer included)', async () => {
      const straight = o.create(3);
      const straightOpt = sgd();
      const expected = train(straight, straightOpt, 6, 0, new Random(5));

      const first = o.create(3);
      const firstOpt = sgd();
      const rng = new Random(5);
      const head = train(first, firstOpt, 3, 0, rng);
      const state = await first.exportState();
      const optState = await firstOpt.exportState();
      expect(Object.keys(state).sort()).toEqual([...o.parts].sort());
      first.dispose();
      firstOpt.dispose();

      const second = o.create(99); // another init: everything must come from the state
      second.importState(state);
      const secondOpt = sgd();
      secondOpt.importState(optState, second.online.trainable);
      const tail = train(second, secondOpt, 3, 3, rng);
      expect([...head, ...tail]).toEqual(expected);
      const [a, b] = [await straight.exportState(), await second.exportState()];
      for (const part of o.parts) {
        for (const [n, { values: v }] of Object.entries(a[part])) expect(b[part][n].values, `${part} ${n}`).toEqual(v);
      }
      for (const m of [straight, second]) m.dispose();
      straightOpt.dispose();
      secondOpt.dispose();
    });

    it('refuses a state of another shape, one with a part missing, and non-finite weights', async () => {
      const small = o.create(1);
      const state = await small.exportState();
      const wide = o.create(1, { ...tinyEncoder, backbone: { ...tinyEncoder.backbone, widths: [4, 16] } });
      expect(() => wide.importState(state)).toThrow(/shape/);
      for (const part of o.parts) {
        const partial = { ...state };
        delete partial[part];
        expect(() => small.importState(partial)).toThrow(/missing/);
      }
      const first = Object.keys(state.online)[0];
      state.online[first].values[0] = Number.NaN;
      expect(() => small.importState(state)).toThrow(/non-finite/);
      small.dispose();
      wide.dispose();
    });

    it('adds an ExtraLoss inside the gradient: a pull towards zero changes the update by exactly its gradient', () => {
      const name = 'backbone.stem.w';
      const [a, b] = views(7);
      const runs = [undefined, ({ online }: Parameters<ExtraLoss>[0]) => tf.mul(tf.sum(tf.square(param(online, name))), 0.5)].map((extra) => {
        const method = o.create(4);
        const optimizer = new Sgd({ momentum: 0, weightDecay: 0 });
        const w0 = values(method, name).slice();
        const loss = method.step({ view1: a, view2: b }, optimizer, 0.1, new Random(4), extra as ExtraLoss | undefined);
        const w1 = values(method, name).slice();
        method.dispose();
        optimizer.dispose();
        return { w0, w1, loss };
      });
      const [plain, pulled] = runs;
      // The returned loss is the method's own; the penalty only shows in the update.
      expect(pulled.loss).toBe(plain.loss);
      // d/dw 0.5*|w|^2 = w, so the pulled weights sit lr*w0 closer to zero.
      pulled.w1.forEach((v, i) => expect(v).toBeCloseTo(plain.w1[i] - 0.1 * plain.w0[i], 5));
      expect(pulled.w1.some((v, i) => Math.abs(v - plain.w1[i]) > 1e-4)).toBe(true);
      tf.dispose([a, b]);
    });

    it('passes the representation of view1 from inside the gradient closure', () => {
      const name = 'backbone.stem.w';
      const [a, b] = views(9);
      const after = [false, true].map((withExtra) => {
        const method = o.create(5);
        const optimizer = new Sgd({ momentum: 0, weightDecay: 0 });
        let seen: number[] = [];
        const extra: ExtraLoss = ({ representation, view1 }) => {
          seen = [...representation.shape, view1.shape[0]];
          return tf.mul(tf.mean(tf.square(representation)), 10);
        };
        method.step({ view1: a, view2: b }, optimizer, 0.1, new Random(4), withExtra ? extra : undefined);
        if (withExtra) expect(seen).toEqual([8, tinyEncoder.backbone.widths[1], 8]);
        const w = values(method, name).slice();
        method.dispose();
        optimizer.dispose();
        return w;
      });
      expect(after[1].some((v, i) => Math.abs(v - after[0][i]) > 1e-5)).toBe(true);
      tf.dispose([a, b]);
    });

    it('refuses a non-finite loss before changing the weights, and leaks nothing', async () => {
      const method = o.create(6);
      const optimizer = sgd();
      const rng = new Random(6);
      train(method, optimizer, 1, 0, rng);
      const before = await method.exportState();
      const tensors = tf.memory().numTensors;
      const [a, b] = views(11);
      expect(() => method.step({ view1: a, view2: b }, optimizer, 0.05, rng, () => tf.scalar(Number.NaN))).toThrow(/not finite|diverged/);
      tf.dispose([a, b]);
      expect(tf.memory().numTensors).toBe(tensors);
      const after = await method.exportState();
      for (const [n, { values: v }] of Object.entries(before.online)) expect(after.online[n].values, n).toEqual(v);
      method.dispose();
      optimizer.dispose();
    });
  });
}
