/**
 * A client of a float16 run (client/task-runner.ts) expands the state it is handed into the
 * memory of the float32 state it returned last, free once that left, instead of fresh
 * memory; and the value it is handed is that state, to the bit, after the trip through
 * float16 (the values here are halves already).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import type { Engine, StreamSummary, TrainInputs, TrainOutcome } from '../../client/engine/types.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import { encodeState } from '../../shared/state/model-state.js';
import type { EvalMetrics, TrainTask } from '../../shared/tasks.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { fittingState } from '../support/fitting-state.js';
import { tinyScenario } from '../support/scenario.js';

/** Returns a state that fits each task (every value 0.5), written into the state it was handed when it owns it. */
class RecordingEngine implements Engine {
  readonly handed: (Uint8Array | null)[] = [];
  readonly returned: Uint8Array[] = [];

  async train(task: TrainTask, state: Uint8Array | null, _replay: Uint8Array | null, _onProgress: unknown, inputs: TrainInputs = {}): Promise<TrainOutcome> {
    this.handed.push(state && Uint8Array.from(state));
    const out = encodeState(fittingState(task), state && inputs.ownsState ? { into: state } : {});
    this.returned.push(out);
    return { state: out, replay: null, metrics: { steps: task.steps, lossFirst: 1, lossLast: 1, trainSeconds: 0, imagesPerSecond: 0, samples: 0, replaySamplesUsed: 0, dataWaitSeconds: 0 } };
  }

  async describeStream(): Promise<StreamSummary> {
    throw new Error('train tasks only');
  }

  async evaluate(): Promise<EvalMetrics> {
    throw new Error('train tasks only');
  }
}

describe('a float16 run\'s client', () => {
  let coordinator: Coordinator | undefined;
  let client: ClientHandle | undefined;
  afterEach(async () => {
    await client?.close();
    await coordinator?.close();
  });

  it('expands each state it is handed into the memory of the state it returned before', async () => {
    const scenario = tinyScenario({ transfer: { encoding: 'float16' }, arms: [{ name: 'relay', mode: 'relay' }] });
    const tasks = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] }) as TrainTask[];
    coordinator = await startTestCoordinator({ resultCheck: MANIFEST_CHECK });
    const engine = new RecordingEngine();
    // Record the memory each state is handed in, as well as its bytes.
    const buffers: ArrayBufferLike[] = [];
    const train = engine.train.bind(engine);
    engine.train = (task, state, ...rest) => (state && buffers.push(state.buffer), train(task, state, ...rest));
    client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine, clientId: 'c0', backend: 'none' });
    const worker = await coordinator.registry.acquire();
    let state: Uint8Array | null = null;
    for (const task of tasks) state = (await worker.runTask(task, state, null)).state;

    expect(engine.handed).toHaveLength(3);
    expect(engine.handed[0]).toBeNull();
    for (const i of [1, 2]) {
      expect(Buffer.from(engine.handed[i]!).equals(encodeState(fittingState(tasks[i - 1])))).toBe(true);
      expect(buffers[i - 1]).toBe(engine.returned[i - 1].buffer);
    }
  });
});
