/**
 * Nothing gives up before the heartbeat: a client whose coordinator allows a heartbeat of
 * 5 s, and whose own acknowledgement timeout is 0.5 s, uploads its result across a 2 s
 * cut (the coordinator's heartbeat from its hello reply wins), and the task completes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import type { TrainOutcome } from '../../client/engine/types.js';
import type { Progress, TrainTask } from '../../shared/tasks.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy.js';
import { FakeEngine } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';
import { waitUntil } from '../support/wait.js';

const scenario = tinyScenario();
const [stage0] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
const CUT_MS = 2000;

/** Cuts the cable as its training ends, so that the upload of its result starts into the cut. */
class CutOnResult extends FakeEngine {
  constructor(private readonly proxy: () => CuttableProxy) {
    super({ stateBytes: 2_000_000 });
  }

  override async train(task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, onProgress: (p: Progress) => void): Promise<TrainOutcome> {
    const out = await super.train(task, state, replay, onProgress);
    this.proxy().cut();
    setTimeout(() => this.proxy().restore(), CUT_MS);
    return out;
  }
}

describe('a cut shorter than the heartbeat', () => {
  let coordinator: Coordinator | undefined;
  let proxy: CuttableProxy | undefined;
  let client: ClientHandle | undefined;
  afterEach(async () => {
    await client?.close();
    await proxy?.close();
    await coordinator?.close();
  });

  it('fails no acknowledgement on the client: it waits at least the heartbeat the coordinator told it', async () => {
    coordinator = await startTestCoordinator({ heartbeatTimeoutMs: 5000 });
    proxy = await startCuttableProxy(coordinator.port);
    client = await startClient({ url: proxy.url, token: TEST_TOKEN, engine: new CutOnResult(() => proxy!), clientId: 'behind-cut', ackTimeoutMs: 500 });
    await waitUntil(() => coordinator!.registry.size === 1, 'the client joined');
    const started = Date.now();
    const outcome = await (await coordinator.registry.acquire()).runTask(stage0, null, null);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CUT_MS);
    expect(outcome.clientId).toBe('behind-cut');
    expect(outcome.state?.byteLength).toBeGreaterThan(2_000_000);
  });
});
