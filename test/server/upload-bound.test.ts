/**
 * The bound of a train task's uploads (server/states/upload-bound.ts): the state's bound
 * from the check, the replay buffer's from the task's replay options, the plan's replay
 * ceiling (server/schedule/replay-ceiling.ts) and the dataset's image size, each as it
 * travels; the outer cap where neither determines one. A real state of the task's model,
 * of incompressible values, and the buffers the client's own replay code builds stage by
 * stage stay within the bound under every transfer encoding.
 */
import { describe, expect, it } from 'vitest';
import { extendReplay } from '../../client/continual/replay.js';
import { planArm } from '../../server/schedule/index.js';
import { replayCeilings } from '../../server/schedule/replay-ceiling.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import { decodeReturnedReplay, taskUploadBound } from '../../server/states/upload-bound.js';
import type { ImageSet } from '../../shared/dataset-types.js';
import { encodeReplay, type ReplayBuffer } from '../../shared/state/replay-buffer.js';
import { encodeState } from '../../shared/state/model-state.js';
import { taskStateSizeRange } from '../../shared/state/task-state-size.js';
import type { TrainTask } from '../../shared/tasks.js';
import { WIRE_COMPRESSIONS, WIRE_ENCODINGS } from '../../shared/wire/transfer-spec.js';
import { encodeWire, WireError } from '../../shared/wire/wire-encoding.js';
import { fittingState } from '../support/fitting-state.js';
import { tinyScenario } from '../support/scenario.js';

const scenario = tinyScenario();
const CHUNKS = [100, 110, 120];
const [finetune] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: CHUNKS }) as TrainTask[];
const [, replayStage] = planArm({ scenario, arm: scenario.arms[1], chunkSizes: CHUNKS }) as TrainTask[];
const CAP = 2 ** 31;
/** Bytes of a replay sample of the tiny scenario (8x8 gray images) and its label. */
const SAMPLE = 8 * 8 + 1;
const FRAMING = 256 * 260 + 4096;

/** Every float of `value` set to a seeded pseudo-random number: nothing for deflate to squeeze. */
function scramble(value: unknown, seed = { s: 1 }): void {
  if (value instanceof Float32Array) {
    for (let i = 0; i < value.length; i++) value[i] = ((seed.s = (seed.s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  } else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) for (const child of Object.values(value)) scramble(child, seed);
}

describe('task upload bound', () => {
  it('is the state bound when the task keeps no replay buffer', () => {
    const max = taskStateSizeRange(finetune).max;
    expect(taskUploadBound(finetune, MANIFEST_CHECK, 0, CAP)).toEqual({ bytes: max, state: max, replay: 0, decodedState: max, decodedReplay: 0 });
    expect(taskUploadBound(finetune, MANIFEST_CHECK, 0, 1000)).toEqual({ bytes: 1000, state: 1000, replay: 0, decodedState: max, decodedReplay: 0 });
  });

  it("follows the replay options: the buffer handed on plus the samples the task adds, a reservoir's capacity, else the outer cap", () => {
    expect(replayStage.replay).toMatchObject({ mode: 'replay', size: 10 });
    const handed = 5000;
    expect(taskUploadBound(replayStage, MANIFEST_CHECK, handed, CAP).replay).toBe(handed + 10 * replayStage.data.chunks.length * SAMPLE + FRAMING);
    const reservoir: TrainTask = { ...replayStage, replay: { mode: 'replay', selection: 'reservoir', size: 7, ratio: 0.5 } };
    expect(taskUploadBound(reservoir, MANIFEST_CHECK, handed, CAP).replay).toBe(7 * SAMPLE + FRAMING);
    const revisit: TrainTask = { ...replayStage, replay: { mode: 'replay', size: 10, ratio: 0.5, extend: false } };
    expect(taskUploadBound(revisit, MANIFEST_CHECK, handed, CAP).replay).toBe(handed + FRAMING);
    const fraction: TrainTask = { ...replayStage, replay: { mode: 'replay', fraction: 0.2, ratio: 0.5 } };
    expect(taskUploadBound(fraction, MANIFEST_CHECK, handed, CAP)).toMatchObject({ bytes: CAP, replay: CAP });
    const idx: TrainTask = { ...replayStage, data: { ...replayStage.data, dataset: { name: 'idx', images: 'i', labels: 'l' } as never } };
    expect(taskUploadBound(idx, MANIFEST_CHECK, handed, CAP).replay).toBe(CAP);
  });

  it("takes the plan's replay ceiling: exact for a fraction, the tighter one for a size, none for an undeclared image size", () => {
    const fraction: TrainTask = { ...replayStage, replay: { mode: 'replay', fraction: 0.2, ratio: 0.5 } };
    expect(taskUploadBound(fraction, MANIFEST_CHECK, 5000, CAP, 53).replay).toBe(53 * SAMPLE + FRAMING);
    expect(taskUploadBound(fraction, MANIFEST_CHECK, 5000, 1000, 53).replay).toBe(1000);
    // float16 leaves images and labels as they are; deflate may add its framing: the bound follows the wire.
    const deflated: TrainTask = { ...fraction, transfer: { encoding: 'float16', compression: 'deflate' } };
    expect(taskUploadBound(deflated, MANIFEST_CHECK, 5000, CAP, 53).replay).toBeGreaterThanOrEqual(53 * SAMPLE + FRAMING);
    // A size: the handed buffer plus `size` samples, unless the plan knows the buffer holds fewer (here 4 in all).
    expect(taskUploadBound(replayStage, MANIFEST_CHECK, 5000, CAP, 4).replay).toBe(4 * SAMPLE + FRAMING);
    expect(taskUploadBound(replayStage, MANIFEST_CHECK, 0, CAP, 1000).replay).toBe(10 * SAMPLE + FRAMING);
    const reservoir: TrainTask = { ...replayStage, replay: { mode: 'replay', selection: 'reservoir', size: 7, ratio: 0.5 } };
    expect(taskUploadBound(reservoir, MANIFEST_CHECK, 0, CAP, 1000).replay).toBe(7 * SAMPLE + FRAMING);
    const folder: TrainTask = { ...fraction, data: { ...fraction.data, dataset: { name: 'folder', path: 'f' } as never } };
    expect(taskUploadBound(folder, MANIFEST_CHECK, 5000, CAP, 53).replay).toBe(CAP);
  });

  it('bounds what a replay buffer decodes to (float32, before the wire) by the same: the outer cap only where nothing else does', () => {
    const fraction: TrainTask = { ...replayStage, replay: { mode: 'replay', fraction: 0.2, ratio: 0.5 }, transfer: { encoding: 'float16', compression: 'deflate' } };
    expect(taskUploadBound(fraction, MANIFEST_CHECK, 5000, CAP, 53).decodedReplay).toBe(53 * SAMPLE + FRAMING);
    expect(taskUploadBound(fraction, MANIFEST_CHECK, 5000, CAP).decodedReplay).toBe(CAP);
    const reservoir: TrainTask = { ...replayStage, replay: { mode: 'replay', selection: 'reservoir', size: 7, ratio: 0.5 } };
    expect(taskUploadBound(reservoir, MANIFEST_CHECK, 0, CAP, 1000).decodedReplay).toBe(7 * SAMPLE + FRAMING);
    expect(taskUploadBound(replayStage, MANIFEST_CHECK, 5000, CAP, 4).decodedReplay).toBe(4 * SAMPLE + FRAMING);
  });

  it('holds a real state of the task under every transfer encoding', () => {
    const state = fittingState(finetune);
    scramble(state);
    const bytes = encodeState(state);
    expect(bytes.byteLength).toBeLessThanOrEqual(taskStateSizeRange(finetune).max);
    for (const encoding of WIRE_ENCODINGS) {
      for (const compression of WIRE_COMPRESSIONS) {
        const task: TrainTask = { ...finetune, transfer: { encoding, compression } };
        const wire = encodeWire(bytes, task.transfer!, 'state', { decoded: state });
        expect(wire.byteLength, `${encoding}+${compression}`).toBeLessThanOrEqual(taskUploadBound(task, MANIFEST_CHECK, 0, CAP).state);
      }
    }
  });
});

describe('a returned replay buffer, decoded', () => {
  const task: TrainTask = { ...replayStage, replay: { mode: 'replay', fraction: 0.2, ratio: 0.5 }, transfer: { encoding: 'float32', compression: 'deflate' } };
  // The plan's ceiling: 53 samples.
  const bound = taskUploadBound(task, MANIFEST_CHECK, 0, CAP, 53);
  const refusal = (wire: Uint8Array, decodedReplay = bound.decodedReplay) => {
    try {
      decodeReturnedReplay(wire, task, 'r1', decodedReplay);
    } catch (err) {
      expect(err).toBeInstanceOf(WireError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it("is refused when it inflates to one sample more than the plan's bound, from a small deflate upload; exactly at the bound it passes", () => {
    expect(bound.decodedReplay).toBe(53 * SAMPLE + FRAMING);
    const over = encodeWire(new Uint8Array(bound.decodedReplay + SAMPLE), task.transfer!, 'replay');
    // Small on the wire: the upload itself passes the bound announced before its first byte.
    expect(over.byteLength).toBeLessThan(1000);
    expect(over.byteLength).toBeLessThanOrEqual(bound.bytes);
    expect(refusal(over)).toBe(`replay blob r1 of task ${task.taskId}: declares ${bound.decodedReplay + SAMPLE} payload bytes, more than the ${bound.decodedReplay} it may hold`);
    // A header that understates: the inflation stops at what it declared.
    new DataView(over.buffer, over.byteOffset).setUint32(8, bound.decodedReplay, true);
    expect(refusal(over)).toMatch(`replay blob r1 of task ${task.taskId}: inflates beyond its declared ${bound.decodedReplay} payload bytes`);
    const exact = encodeWire(new Uint8Array(bound.decodedReplay), task.transfer!, 'replay');
    expect(decodeReturnedReplay(exact, task, 'r1', bound.decodedReplay).byteLength).toBe(bound.decodedReplay);
  });

  it('is refused above the bound as plain float32 too, and at all when the task keeps none', () => {
    const plain: TrainTask = { ...task, transfer: undefined };
    const over = new Uint8Array(bound.decodedReplay + SAMPLE);
    expect(() => decodeReturnedReplay(over, plain, 'r1', bound.decodedReplay)).toThrow(`replay blob r1 of task ${task.taskId}: ${bound.decodedReplay + SAMPLE} bytes, more than the ${bound.decodedReplay} it may hold`);
    expect(decodeReturnedReplay(over.subarray(SAMPLE), plain, 'r1', bound.decodedReplay).byteLength).toBe(bound.decodedReplay);
    expect(refusal(encodeWire(new Uint8Array(10), task.transfer!, 'replay'), 0)).toBe(`replay blob r1 of task ${task.taskId}: the task keeps no replay buffer, but one was returned`);
  });
});

describe('replay ceilings from the plan', () => {
  const sizes = [100, 110, 125];
  // fraction 0.25, rounded as the client rounds (half up): 25, 27.5 -> 28, 31.25 -> 31.
  const keep = [25, 28, 31];
  const fractional = tinyScenario({
    arms: [
      { name: 'relay', mode: 'relay', strategy: { name: 'replay', fraction: 0.25 } },
      { name: 'cyclic', mode: 'relay', cycles: 2, order: 'random', strategy: { name: 'replay', fraction: 0.25 } },
      { name: 'reservoir', mode: 'relay', strategy: { name: 'replay', size: 30, selection: 'reservoir' } },
    ],
  });
  const plan = (arm: number) => planArm({ scenario: fractional, arm: fractional.arms[arm], chunkSizes: sizes }) as TrainTask[];

  it('adds what the client keeps of each chunk trained so far; a later visit adds nothing; a reservoir or no replay has none', () => {
    expect(replayCeilings(plan(0), sizes)).toEqual([25, 53, 84]);
    const cyclic = plan(1);
    const seen = new Set<number>();
    const expected = cyclic.map((task) => {
      seen.add(task.data.chunks[0]);
      return [...seen].reduce((n, chunk) => n + keep[chunk], 0);
    });
    expect(replayCeilings(cyclic, sizes)).toEqual(expected);
    expect(expected.slice(3)).toEqual([84, 84, 84]);
    expect(replayCeilings(plan(2), sizes)).toEqual([undefined, undefined, undefined]);
    expect(replayCeilings([finetune], CHUNKS)).toEqual([undefined]);
    // Several chunks in one stage: the client keeps a share of them together.
    expect(replayCeilings([{ ...plan(0)[0], data: { ...plan(0)[0].data, chunks: [1, 2] } }], sizes)).toEqual([59]);
    expect(() => replayCeilings([{ ...plan(0)[0], data: { ...plan(0)[0].data, chunks: [3] } }], sizes)).toThrow('a stage names chunk 3, but the stream has 3 chunks');
  });

  it("holds the buffers the client's replay code builds, stage by stage, exactly, under every transfer encoding", () => {
    for (const arm of [0, 1]) {
      const tasks = plan(arm);
      const ceilings = replayCeilings(tasks, sizes);
      let buffer: ReplayBuffer | null = null;
      tasks.forEach((task, i) => {
        const handed = buffer ? encodeReplay(buffer).byteLength : 0;
        buffer = extendReplay(buffer, chunkSet(task.data.chunks[0], sizes[task.data.chunks[0]]), task.replay, 100 + i);
        expect(buffer!.count, `${task.taskId}`).toBe(ceilings[i]);
        const bytes = encodeReplay(buffer!);
        for (const encoding of WIRE_ENCODINGS) {
          for (const compression of WIRE_COMPRESSIONS) {
            const sent: TrainTask = { ...task, transfer: { encoding, compression } };
            const wire = encodeWire(bytes, sent.transfer!, 'replay');
            expect(wire.byteLength, `${task.taskId} ${encoding}+${compression}`).toBeLessThanOrEqual(taskUploadBound(sent, MANIFEST_CHECK, handed, CAP, ceilings[i]).replay);
          }
        }
      });
    }
  });
});

/** Chunk `id` of `count` 8x8 gray images of incompressible bytes, with ten classes of long names. */
function chunkSet(id: number, count: number): ImageSet {
  let s = id + 1;
  const images = Uint8Array.from({ length: count * 64 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  const classNames = Array.from({ length: 10 }, (_, k) => `class-${k}-`.padEnd(200, 'x'));
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, height: 8, width: 8, channels: 1, numClasses: 10, classNames };
}
