/**
 * An engine that trains nothing, for measuring the coordinator alone: every train task
 * answers at once with a small real model state (so fedavg can average it), every
 * evaluation with fixed accuracies, and the stream has `chunks` chunks of 64 samples.
 */
import type { Engine, StreamSummary, TrainOutcome } from '../client/engine/types.js';
import { encodeState } from '../shared/state/model-state.js';
import type { DataSelection, EvalMetrics, TrainTask } from '../shared/tasks.js';

/** Parameters of the state each task returns: small, so that transfers do not dominate. */
const STATE_PARAMS = 4096;

export class NullEngine implements Engine {
  readonly backend = { name: 'none', reason: 'bench: no training' };

  async describeStream(selection: Omit<DataSelection, 'chunks'>): Promise<StreamSummary> {
    const chunks = Array.from({ length: selection.stream.chunks }, (_, id) => ({ id, size: 64, classes: [0], style: 'original' }));
    return { trainCount: 64 * chunks.length, testCount: 64, numClasses: 10, chunks };
  }

  async train(task: TrainTask): Promise<TrainOutcome> {
    const w = { shape: [STATE_PARAMS], values: new Float32Array(STATE_PARAMS).fill(task.stage) };
    return {
      state: encodeState({ method: task.ssl.method, step: task.optimizer.startStep + task.steps, methodState: { online: { w } }, optimizer: null }),
      replay: null,
      metrics: { steps: task.steps, lossFirst: 1, lossLast: 1, trainSeconds: 0, imagesPerSecond: 0, samples: 64, replaySamplesUsed: 0, dataWaitSeconds: 0, ...(task.evaluation ? { eval: fixedEval() } : {}) },
    };
  }

  async evaluate(): Promise<EvalMetrics> {
    return fixedEval();
  }
}

function fixedEval(): EvalMetrics {
  return { knnTop1: 0.1, linearTop1: 0.1, seconds: 0 };
}
