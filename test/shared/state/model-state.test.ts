/**
 * The model-state format: states round-trip with what they say of their parts, equal
 * states give equal bytes, and decode refuses malformed metadata and old versions with a
 * message naming the field.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../../shared/codec.js';
import { checkModelState, decodeState, encodeState, stateArrays, STATE_VERSION, type ModelState } from '../../../shared/state/model-state.js';
import { arrayKind, describePartsMeta, partMetaOf } from '../../../shared/state/part-meta.js';

const array = (shape: number[]) => ({ shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) });

const moco: ModelState = {
  method: 'moco-v2',
  step: 7,
  methodState: { online: { w: array([2, 3]) }, queue: { queue: array([4, 2]), pointer: array([1]) } },
  partMeta: { queue: { combine: 'whole', arrays: { queue: 'unit-rows', pointer: 'position' } } },
  optimizer: { w: array([2, 3]) },
  regularizer: { mas: { w: array([2, 3]) } },
};

/** The encoded fields of `moco`, with `change` applied, as decode sees them. */
function raw(change: Record<string, unknown>): Record<string, unknown> {
  return { format: 'streamssl-state', version: STATE_VERSION, ...moco, ...change };
}

describe('model state', () => {
  it('round-trips its part metadata; a state without any says nothing', () => {
    const back = decodeState(encodeState(moco));
    expect(back).toEqual(moco);
    expect(partMetaOf(back.partMeta, 'queue').combine).toBe('whole');
    expect(arrayKind(back.partMeta, 'queue', 'pointer')).toBe('position');
    expect(arrayKind(back.partMeta, 'online', 'w')).toBe('quantity');
    const plain = decodeState(encodeState({ ...moco, partMeta: undefined }));
    expect('partMeta' in plain).toBe(false);
    expect(partMetaOf(plain.partMeta, 'queue')).toEqual({ combine: 'average' });
  });

  it('gives the same bytes however the state object was built', () => {
    const { partMeta, regularizer, optimizer, ...rest } = moco;
    expect(encodeState({ optimizer, regularizer, partMeta, ...rest })).toEqual(encodeState(moco));
  });

  it('lists every named array with where it sits', () => {
    expect([...stateArrays(moco)].map(([path]) => path)).toEqual([
      'methodState.online.w',
      'methodState.queue.queue',
      'methodState.queue.pointer',
      'optimizer.w',
      'regularizer.mas.w',
    ]);
  });

  it('describes metadata the same whatever its order or spelt-out defaults', () => {
    expect(describePartsMeta({ online: { combine: 'average' }, queue: { combine: 'whole', arrays: { pointer: 'position', queue: 'unit-rows' } } })).toBe(
      describePartsMeta(moco.partMeta),
    );
    expect(describePartsMeta(undefined)).toBe('all parts averaged');
  });

  it.each([
    [{ partMeta: 'whole' }, 'model state.partMeta: expected a map of part -> {combine, arrays?}'],
    [{ partMeta: { key: { combine: 'whole' } } }, 'model state.partMeta.key: the state has no part "key"'],
    [{ partMeta: { queue: 'whole' } }, 'model state.partMeta.queue: expected {combine, arrays?}'],
    [{ partMeta: { queue: { arrays: {} } } }, 'model state.partMeta.queue.combine: expected "average" or "whole", got undefined'],
    [{ partMeta: { queue: { combine: 'blend' } } }, 'model state.partMeta.queue.combine: expected "average" or "whole", got "blend"'],
    [{ partMeta: { queue: { combine: 'whole', fifo: true } } }, 'model state.partMeta.queue: unknown field(s) fifo'],
    [{ partMeta: { queue: { combine: 'whole', arrays: ['pointer'] } } }, 'model state.partMeta.queue.arrays: expected a map of array name -> kind'],
    [{ partMeta: { queue: { combine: 'whole', arrays: { head: 'position' } } } }, 'model state.partMeta.queue.arrays.head: the part has no array "head"'],
    [{ partMeta: { queue: { combine: 'whole', arrays: { pointer: 'index' } } } }, 'model state.partMeta.queue.arrays.pointer: expected "position" or "unit-rows", got "index"'],
    [{ partMeta: { queue: { combine: 'whole', arrays: { pointer: 'unit-rows' } } } }, 'model state.partMeta.queue.arrays.pointer: unit rows need a 2-D array, not one of shape [1]'],
  ])('refuses malformed metadata %j', (change, message) => {
    expect(() => decodeState(encode(raw(change)))).toThrow(message);
    expect(() => checkModelState(raw(change))).toThrow(message);
  });

  it('refuses a state of version 1, which cannot say how its parts combine', () => {
    expect(() => decodeState(encode(raw({ version: 1 })))).toThrow(`model state: version 1 is not supported (expected ${STATE_VERSION})`);
  });
});
