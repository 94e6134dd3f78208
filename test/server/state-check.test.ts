/**
 * The coordinator's check of a returned state against the model its task determines
 * (shared/state/manifest.ts): at every stage, the first included, an array of another
 * dtype, a missing or extra array, fewer values than a shape, a changed shape, NaN,
 * another method or step are refused naming the array and what is wrong; a state of any
 * other size than the task's model gives is refused before it is decoded; replay buffers
 * must carry the samples they declare. Garbage, absurd nesting and values that are not
 * model states are refused too.
 */
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../shared/codec.js';
import { keptAsEncoded } from '../../server/states/decoded-states.js';
import { stateManifest } from '../../shared/state/manifest.js';
import { manifestProblem } from '../../shared/state/manifest-check.js';
import { encodeState, type ModelState } from '../../shared/state/model-state.js';
import { encodeReplay } from '../../shared/state/replay-buffer.js';
import { stateSizeBounds } from '../../shared/state/state-size.js';
import type { TrainTask } from '../../shared/tasks.js';
import { inspectReturnedReplay, inspectReturnedState } from '../../server/states/state-check.js';
import { fittingState } from '../support/fitting-state.js';
import { tinyRelayScenario } from '../support/scenario.js';
import { stageTask } from '../support/train-task.js';

const scenario = tinyRelayScenario({ model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 } });
const task = (stage: number, fields: Partial<TrainTask> = {}): TrainTask =>
  stageTask(scenario, stage, {
    steps: 2,
    optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, schedule: 'cosine', totalSteps: 4, startStep: 2 * stage, keepOptimizerState: true },
    replay: { mode: 'replay', size: 4, ratio: 0.25 },
    ...fields,
  });
const first = task(0);
const STEM = 'backbone.stem.w';

/** `make(n)` encoded, with `n` chosen so that it is `size` bytes. */
function ofSize(make: (n: number) => unknown, size: number): Uint8Array {
  let n = size;
  for (let i = 0; i < 3; i++) n -= encode(make(n)).byteLength - size;
  const bytes = encode(make(n));
  expect(bytes.byteLength).toBe(size);
  return bytes;
}

/** The state `first` must return, changed by `tamper`. */
function tampered(tamper: (state: ModelState) => void, t: TrainTask = first): Uint8Array {
  const state = fittingState(t);
  tamper(state);
  return encodeState(state);
}

describe('a returned state is checked against the task’s model', () => {
  it('keeps the state the manifest describes, at the first stage and later ones, whose size it knows exactly', () => {
    const bytes = encodeState(fittingState(first));
    expect(inspectReturnedState(bytes, first)).toBeNull();
    const { min, max } = stateSizeBounds(stateManifest(first, { channels: 1, numClasses: 10 }));
    expect([min, max]).toEqual([bytes.byteLength, bytes.byteLength]);
    expect(inspectReturnedState(encodeState(fittingState(task(1))), task(1))).toBeNull();
    const withMas = task(1, { regularizer: { name: 'mas', lambda: 1, samples: 8 } });
    expect(inspectReturnedState(encodeState(fittingState(withMas)), withMas)).toBeNull();
  });

  it('refuses an array of another dtype, naming it', () => {
    // Int32 values take the bytes float32 ones do: only the dtype tells them apart.
    const bytes = tampered((s) => (s.methodState.online[STEM].values = new Int32Array(36) as unknown as Float32Array));
    expect(inspectReturnedState(bytes, first)).toBe(
      `the returned state does not fit the task's model: methodState.online.${STEM}: holds Int32Array values, expected float32 (Float32Array)`,
    );
  });

  it('refuses a first-stage state of the wrong shape (nothing handed out to compare with), naming the array', () => {
    const bytes = tampered((s) => (s.methodState.key[STEM].shape = [4, 1, 3, 3]));
    expect(inspectReturnedState(bytes, first)).toBe(`the returned state does not fit the task's model: methodState.key.${STEM}: has shape [4, 1, 3, 3], the model's is [3, 3, 1, 4]`);
  });

  it('refuses a missing array, naming it', () => {
    // Renamed to a name of the same length: the size is right, the layout is not.
    const bytes = tampered((s) => {
      const online = s.methodState.online;
      online['backbone.stem.x'] = online[STEM];
      delete online[STEM];
    });
    expect(inspectReturnedState(bytes, first)).toBe(`the returned state does not fit the task's model: methodState.online: misses the array "${STEM}"`);
  });

  it('refuses a missing array, an extra array or fewer values than a shape, before decoding (the size is wrong) and naming them once decoded', () => {
    const manifest = stateManifest(first, { channels: 1, numClasses: 10 });
    const cases: Array<[string, (s: ModelState) => void, string]> = [
      ['missing', (s) => delete s.optimizer![STEM], `optimizer: misses the array "${STEM}"`],
      ['extra', (s) => (s.methodState.online.extra = { shape: [1], values: new Float32Array(1) }), 'methodState.online: has an array "extra" the task\'s model does not have'],
      ['short', (s) => (s.methodState.online[STEM].values = new Float32Array(35)), `methodState.online.${STEM}: holds 35 values, its shape [3, 3, 1, 4] has 36`],
      ['part', (s) => delete s.methodState.queue, 'methodState: holds part(s) [key, online], expected [online, key, queue]'],
    ];
    for (const [, tamper, named] of cases) {
      const state = fittingState(first);
      tamper(state);
      expect(inspectReturnedState(encodeState(state), first)).toMatch(/^the returned state is \d+ bytes, a state of the task's model is \d+ bytes: refused undecoded$/);
      expect(manifestProblem(state, manifest)).toBe(named);
    }
  });

  it('refuses NaN, another method, another step, and optimizer or regularizer state the task does not keep', () => {
    expect(inspectReturnedState(tampered((s) => (s.methodState.online[STEM].values[5] = Number.NaN)), first)).toBe(`the returned state holds NaN at methodState.online.${STEM}.values[5]`);
    const manifest = stateManifest(first, { channels: 1, numClasses: 10 });
    const state = fittingState(first);
    expect(manifestProblem({ ...state, method: 'simclr' }, manifest)).toBe('is a state of method "simclr", the task trains "moco-v2"');
    expect(manifestProblem({ ...state, step: 3 }, manifest)).toBe('records step 3, the task ends at step 2');
    expect(manifestProblem({ ...state, regularizer: { importance: {} } }, manifest)).toBe('has regularizer state, but the task keeps none');
    expect(manifestProblem({ ...state, optimizer: null }, manifest)).toBe('has no optimizer state, but the task keeps it');
  });

  it('checks the decoded value the wire layer hands it instead of decoding again, NaN and all, and halves from what it keeps', () => {
    const bytes = encodeState(fittingState(first));
    const value = decode(bytes) as ModelState;
    expect(inspectReturnedState(bytes, first, value)).toBeNull();
    expect(keptAsEncoded(bytes)?.methodState.online[STEM].values).toBe(value.methodState.online[STEM].values); // kept, not decoded again
    value.methodState.online[STEM].values[5] = Number.NaN;
    expect(inspectReturnedState(bytes, first, value)).toBe(`the returned state holds NaN at methodState.online.${STEM}.values[5]`);
  });

  it('refuses a state of another size before decoding it', () => {
    const bytes = encodeState(fittingState(first));
    // Not msgpack at all: decoding it would fail with another message.
    expect(inspectReturnedState(new Uint8Array(bytes.byteLength + 1).fill(0xc1), first)).toBe(
      `the returned state is ${bytes.byteLength + 1} bytes, a state of the task's model is ${bytes.byteLength} bytes: refused undecoded`,
    );
    // Two million nested arrays: costly to decode, refused by its size alone.
    expect(inspectReturnedState(new Uint8Array(2_000_000).fill(0x91), first)).toMatch(/^the returned state is 2000000 bytes, .*: refused undecoded$/);
  });

  it('refuses bytes that do not decode, absurd nesting and values that are not model states, of the right size', () => {
    const size = encodeState(fittingState(first)).byteLength;
    expect(inspectReturnedState(new Uint8Array(size).fill(0xc1), first)).toMatch(/^the returned state does not decode: /);
    let deep: unknown = null;
    for (let i = 0; i < 40; i++) deep = { deep };
    expect(inspectReturnedState(ofSize((n) => ({ deep, pad: new Uint8Array(n) }), size), first)).toMatch(/(nests|nesting) deeper than 32 levels/);
    const blob = ofSize((n) => ({ images: new Uint8Array(n) }), size);
    expect(inspectReturnedState(blob, first)).toBe("the returned state does not fit the task's model: is a state of method undefined, the task trains \"moco-v2\"");
  });
});

describe('a returned replay buffer is checked against its counts and the dataset', () => {
  const buffer = (o: { count: number; carried: number; side?: number }) => {
    const side = o.side ?? 8;
    return encodeReplay({ images: new Uint8Array(o.carried * side * side), labels: new Uint8Array(o.carried), count: o.carried, height: side, width: side, channels: 1, numClasses: 10, classNames: [], seen: 32 });
  };

  it('keeps a buffer that holds what it declares', () => {
    expect(inspectReturnedReplay(buffer({ count: 4, carried: 4 }), first)).toBeNull();
  });

  it('refuses a buffer that claims more samples than it carries', () => {
    const claims = encode({ format: 'streamssl-replay', version: 1, images: new Uint8Array(4 * 64), labels: new Uint8Array(4), count: 1_000_000, height: 8, width: 8, channels: 1, numClasses: 10, classNames: [], seen: 1_000_000 });
    expect(inspectReturnedReplay(claims, first)).toBe(
      'the returned replay buffer is not fit to keep: replay buffer: 1000000 samples of 64 bytes declared but 256 image bytes and 4 labels',
    );
  });

  it('refuses images of another size than the dataset’s, garbage, and a buffer for a task that keeps none', () => {
    expect(inspectReturnedReplay(buffer({ count: 2, carried: 2, side: 9 }), first)).toBe("the returned replay buffer is not fit to keep: replay buffer: height is 9, the dataset's is 8");
    expect(inspectReturnedReplay(Uint8Array.from([0x92, 0x01]), first)).toMatch(/^the returned replay buffer does not decode: /);
    expect(inspectReturnedReplay(buffer({ count: 2, carried: 2 }), { ...first, replay: { mode: 'none' } })).toBe('the task keeps no replay buffer, but one was returned');
  });
});
