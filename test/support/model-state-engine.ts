/**
 * A fake engine whose states are real `ModelState`s (the coordinator averages them for
 * fedavg): a two-value online weight that training on chunk k moves by (k + 1, 10(k + 1)),
 * a MoCo-like queue holding the chunk id (declared to be taken whole), and optimizer
 * momentum equal to the chunk id.
 */
import { decodeState, encodeState } from '../../shared/state/model-state.js';
import type { EvalMetrics, EvalTask, Progress, TrainTask } from '../../shared/tasks.js';
import type { TrainOutcome } from '../../client/engine/types.js';
import { FakeEngine } from './fake-engine.js';

/** The online weight a state holds. */
export function onlineWeight(bytes: Uint8Array): number[] {
  return [...decodeState(bytes).methodState.online.w.values];
}

export class ModelStateFakeEngine extends FakeEngine {
  override async train(task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, onProgress: (p: Progress) => void): Promise<TrainOutcome> {
    const outcome = await super.train(task, null, replay, onProgress);
    const w = state ? onlineWeight(state) : [0, 0];
    const k = task.data.chunks[0];
    const vector = (values: number[]) => ({ shape: [values.length], values: new Float32Array(values) });
    const next = encodeState({
      method: 'fake',
      step: task.optimizer.startStep + task.steps,
      methodState: { online: { w: vector([w[0] + k + 1, w[1] + 10 * (k + 1)]) }, queue: { queue: vector([k, k]), pointer: vector([k]) } },
      // Like MoCo's, the queue says it is taken whole: fedavg must not average it.
      partMeta: { queue: { combine: 'whole', arrays: { pointer: 'position' } } },
      optimizer: { w: vector([k, k]) },
    });
    return { ...outcome, state: next };
  }

  override async evaluate(task: EvalTask, state: Uint8Array | null): Promise<EvalMetrics> {
    this.calls.push({ kind: 'eval', taskId: task.taskId, stateIn: null, replayIn: null });
    // The accuracy reveals the weight it scored, so tests can see which state was evaluated.
    return { knnTop1: state ? Math.min(1, onlineWeight(state)[0] / 100) : 0.1, linearTop1: 0.12, seconds: 0.01 };
  }
}
