/**
 * The bound of a train task's uploads (server/states/upload-bound.ts): the state's bound
 * from the check, the replay buffer's from the task's replay options and the dataset's
 * image size, each as it travels; the outer cap where the task does not determine one.
 * A real state of the task's model, of incompressible values, stays within the bound
 * under every transfer encoding.
 */
import { describe, expect, it } from 'vitest';
import { planArm } from '../../server/schedule/index.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import { taskUploadBound } from '../../server/states/upload-bound.js';
import { encodeState } from '../../shared/state/model-state.js';
import { taskStateSizeRange } from '../../shared/state/task-state-size.js';
import type { TrainTask } from '../../shared/tasks.js';
import { WIRE_COMPRESSIONS, WIRE_ENCODINGS } from '../../shared/wire/transfer-spec.js';
import { encodeWire } from '../../shared/wire/wire-encoding.js';
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
    expect(taskUploadBound(finetune, MANIFEST_CHECK, 0, CAP)).toEqual({ bytes: max, state: max, replay: 0, decodedState: max });
    expect(taskUploadBound(finetune, MANIFEST_CHECK, 0, 1000)).toEqual({ bytes: 1000, state: 1000, replay: 0, decodedState: max });
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

  it('holds a real state of the task under every transfer encoding', () => {
    const state = fittingState(finetune);
    scramble(state);
    const bytes = encodeState(state);
    expect(bytes.byteLength).toBeLessThanOrEqual(taskStateSizeRange(finetune).max);
    for (const encoding of WIRE_ENCODINGS) {
      for (const compression of WIRE_COMPRESSIONS) {
        const task: TrainTask = { ...finetune, transfer: { encoding, compression } };
        const wire = encodeWire(bytes, task.transfer!, 'state', state);
        expect(wire.byteLength, `${encoding}+${compression}`).toBeLessThanOrEqual(taskUploadBound(task, MANIFEST_CHECK, 0, CAP).state);
      }
    }
  });
});
