import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpolateStates, interpolationCurve, type StateParts } from '../../../client/analysis/state-interpolation.js';
import { meanLoss } from '../../../client/analysis/weight-probe.js';
import { disposeTrainBatch } from '../../../client/engine/batches.js';
import type { SslMethod, TrainBatch } from '../../../client/ssl/method.js';
import type { MethodState } from '../../../shared/state/arrays.js';
import type { PartsMeta } from '../../../shared/state/part-meta.js';
import { useWasm } from '../../support/backend.js';
import { labeledBatch, tinyMethod, trainSteps } from '../../support/tiny-methods.js';

let batches: TrainBatch[] = [];

beforeAll(async () => {
  await useWasm();
  batches = [labeledBatch(21), labeledBatch(23)];
});

afterAll(() => batches.forEach(disposeTrainBatch));

const arrays = (values: number[], shape = [values.length]) => ({ shape, values: Float32Array.from(values) });

/** A state whose part `part` is taken whole, with the given array kinds. */
const declaring = (methodState: MethodState, part: string, kinds: NonNullable<PartsMeta[string]['arrays']>): StateParts => ({
  methodState,
  partMeta: { [part]: { combine: 'whole', arrays: kinds } },
});

describe('interpolateStates', () => {
  const a = declaring({ online: { w: arrays([0, 2, 4]) }, queue: { queue: arrays([1, 1]), pointer: arrays([3]) } }, 'queue', { pointer: 'position' });
  const b = declaring({ online: { w: arrays([2, 2, 0]) }, queue: { queue: arrays([3, -1]), pointer: arrays([7]) } }, 'queue', { pointer: 'position' });

  it('mixes every array linearly and keeps positions from the first model', () => {
    const mid = interpolateStates(a, b, 0.5);
    expect(Array.from(mid.online.w.values)).toEqual([1, 2, 2]);
    expect(Array.from(mid.queue.queue.values)).toEqual([2, 0]);
    expect(Array.from(mid.queue.pointer.values)).toEqual([3]);
    expect(Array.from(interpolateStates(a, b, 1.5).online.w.values)).toEqual([3, 2, -2]);
    expect(interpolateStates(a, b, 0).online.w.values).toEqual(a.methodState.online.w.values);
  });

  it('keeps an array from the first model because the state declares it a position, not because of its name', () => {
    const ring = (head: number, slots: number[]) => ({ ring: { head: arrays([head]), slots: arrays(slots) }, queue: { pointer: arrays([head]) } });
    const mid = interpolateStates(declaring(ring(3, [0, 2]), 'ring', { head: 'position' }), declaring(ring(7, [2, 0]), 'ring', { head: 'position' }), 0.5);
    expect(Array.from(mid.ring.head.values)).toEqual([3]);
    expect(Array.from(mid.ring.slots.values)).toEqual([1, 1]);
    // A `pointer` the state does not declare is a quantity like any other.
    expect(Array.from(mid.queue.pointer.values)).toEqual([5]);
  });

  it('keeps rows that are unit vectors in both models on the sphere', () => {
    const keys = (values: number[]) => declaring({ queue: { keys: arrays(values, [2, 2]) } }, 'queue', { keys: 'unit-rows' });
    const unit = keys([1, 0, 0, 1]);
    const other = keys([0, 1, 1, 0]);
    const mid = Array.from(interpolateStates(unit, other, 0.5).queue.keys.values);
    mid.forEach((v) => expect(v).toBeCloseTo(Math.SQRT1_2, 6));
    // Rows that are not unit vectors in both are mixed plainly.
    const plain = Array.from(interpolateStates(unit, keys([0, 2, 2, 0]), 0.5).queue.keys.values);
    expect(plain).toEqual([0.5, 1, 1, 0.5]);
    // So are unit rows the state does not declare.
    const undeclared = (s: StateParts): StateParts => ({ methodState: s.methodState });
    expect(Array.from(interpolateStates(undeclared(unit), undeclared(other), 0.5).queue.keys.values)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('refuses states that differ in parts, names or shapes', () => {
    const withParts = (methodState: MethodState): StateParts => ({ ...b, methodState });
    expect(() => interpolateStates(a, withParts({ online: b.methodState.online }), 0.5)).toThrow(/differ in parts \(online, queue against online\)/);
    expect(() => interpolateStates(a, withParts({ ...b.methodState, online: { v: arrays([1, 2, 3]) } }), 0.5)).toThrow(/"online\.w" is in the first model's state only/);
    expect(() => interpolateStates(a, withParts({ ...b.methodState, online: { w: arrays([1, 2, 3, 4], [2, 2]) } }), 0.5)).toThrow(
      /"online\.w" has shape \[3\] in the first model but \[2,2\]/,
    );
  });

  it('refuses states that describe their parts differently', () => {
    expect(() => interpolateStates(a, { methodState: b.methodState }, 0.5)).toThrow(
      /describe their parts differently \(queue whole \(pointer: position\) against all parts averaged\)/,
    );
  });
});

describe('interpolationCurve', () => {
  it("is each model's own loss at its end, also for MoCo's key encoder and queue; no leaks", async () => {
    for (const name of ['MoCo v2', 'BYOL', 'supervised']) {
      const factory = tinyMethod(name);
      const a = factory.create(1);
      trainSteps(a, 2, 0);
      const b = factory.create(1);
      b.importState(await a.exportState());
      trainSteps(b, 3, 2);
      const parts = async (m: SslMethod): Promise<StateParts> => ({ methodState: await m.exportState(), ...(m.partMeta ? { partMeta: m.partMeta } : {}) });
      const [stateA, stateB] = [await parts(a), await parts(b)];
      const open = (state: MethodState) => {
        const m = factory.create(1);
        m.importState(state);
        return m;
      };
      const tensors = tf.memory().numTensors;
      const curve = interpolationCurve(stateA, stateB, open, batches, { alphas: [0, 0.5, 1], seed: 8 });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(curve[0].loss, name).toBe(meanLoss(a, batches, 8));
      expect(curve[2].loss, name).toBe(meanLoss(b, batches, 8));
      expect(Number.isFinite(curve[1].loss)).toBe(true);
      expect(curve[1].loss).not.toBe(curve[0].loss);
      expect(interpolationCurve(stateA, stateB, open, batches, { alphas: [0, 0.5, 1], seed: 8 })).toEqual(curve);
      a.dispose();
      b.dispose();
    }
  });
});
