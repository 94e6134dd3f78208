/**
 * The coordinator decodes a result's wire bytes before it checks them, bounded by what the
 * task may return: a compressed state larger than the task's model allows is refused from
 * its header, before it is inflated, naming the blob and the task; so is a replay buffer
 * larger than the arm's plan lets it hold. A client bounds a state or a reservoir it is
 * handed the same way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { TaskError } from '../../server/net/remote-client.js';
import { planArm } from '../../server/schedule/index.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { FAKE_RESULT_CHECK, FakeEngine } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';
import { maxHandedStateBytes } from '../../shared/state/task-state-size.js';
import { encode } from '../../shared/codec.js';
import { REPLAY_FRAMING_BYTES, replayCapacityBytes } from '../../shared/state/replay-size.js';
import type { TrainTask } from '../../shared/tasks.js';

/** Bytes of a replay sample of the tiny scenario (8x8 gray images) and its label. */
const SAMPLE = 8 * 8 + 1;

/** An encoded value of exactly `bytes` bytes (an array of zeros: a few hundred bytes deflated). */
function encodedOfSize(bytes: number): Uint8Array {
  const header = encode(new Uint8Array(bytes)).byteLength - bytes;
  const out = encode(new Uint8Array(bytes - header));
  expect(out.byteLength).toBe(bytes);
  return out;
}

describe('wire-encoded results at the coordinator', () => {
  let coordinator: Coordinator | undefined;
  let client: ClientHandle | undefined;
  afterEach(async () => {
    await client?.close();
    await coordinator?.close();
  });

  it('refuses a deflated state that declares more bytes than the task’s model state has, before inflating it', async () => {
    const scenario = tinyScenario({ transfer: { compression: 'deflate' } });
    const [task] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
    expect(task.transfer).toEqual({ encoding: 'float32', compression: 'deflate' });
    coordinator = await startTestCoordinator({ resultCheck: MANIFEST_CHECK });
    // A fake engine's 3 MB state compresses to a few kB, but is far larger than the tiny model's.
    client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine({ stateBytes: 3_000_000 }), clientId: 'c0' });
    const worker = await coordinator.registry.acquire();
    const err = await worker.runTask(task, null, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).code).toBe('bad_request');
    expect((err as Error).message).toMatch(/state blob [0-9a-f-]+ of task relay-finetune:stage-0: declares 300\d{4} payload bytes, more than the \d+ it may hold/);
  });

  it('a client refuses a handed deflated state that declares more bytes than the task’s model state has, before inflating it', async () => {
    const scenario = tinyScenario({ transfer: { compression: 'deflate' } });
    const [, second] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
    if (second.kind !== 'train') throw new Error('expected a train task');
    const max = maxHandedStateBytes(second);
    coordinator = await startTestCoordinator({ resultCheck: MANIFEST_CHECK });
    // An engine of model states: the bound is its task's model's, not the 2 GiB of any blob.
    client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine({ fittingStates: true }), clientId: 'c0' });
    const worker = await coordinator.registry.acquire();
    const handed = new Uint8Array(max + 1000); // zeros: a few kB deflated
    const err = await worker.runTask(second, handed, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).code).toBe('bad_request');
    expect((err as Error).message).toMatch(new RegExp(`state blob [0-9a-f-]+ of task ${second.taskId}: declares ${max + 1000} payload bytes, more than the ${max} it may hold`));
  });

  describe("a replay buffer beyond the plan's ceiling", () => {
    const scenario = tinyScenario({ transfer: { compression: 'deflate' } });
    const [task] = planArm({ scenario, arm: scenario.arms[1], chunkSizes: [100, 110, 120] }) as TrainTask[];
    // The plan says the buffer holds 4 samples after this stage (less than the task's own 10 per chunk).
    const bound = 4 * SAMPLE + REPLAY_FRAMING_BYTES;
    const run = async (replayBytes: number) => {
      coordinator = await startTestCoordinator({ resultCheck: FAKE_RESULT_CHECK });
      const engine = new FakeEngine({ stateBytes: 1000, replayOut: () => encodedOfSize(replayBytes) });
      client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine, clientId: 'c0' });
      const worker = await coordinator.registry.acquire();
      return worker.runTask(task, null, null, { replaySamples: 4 });
    };

    it('is refused when a small deflate upload inflates to one sample more, naming the blob and the bound', async () => {
      expect(task.replay).toMatchObject({ mode: 'replay', size: 10 });
      const err = await run(bound + SAMPLE).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskError);
      expect((err as TaskError).code).toBe('bad_request');
      expect((err as Error).message).toMatch(new RegExp(`^client c0: replay blob [0-9a-f-]+ of task ${task.taskId}: declares ${bound + SAMPLE} payload bytes, more than the ${bound} it may hold$`));
    });

    it('is kept exactly at the bound', async () => {
      const outcome = await run(bound);
      expect(outcome.replay?.byteLength).toBe(bound);
      expect(outcome.handoffBytes?.replay?.received).toBeLessThan(2000);
    });
  });

  it('a client refuses a handed deflated replay buffer beyond its reservoir’s capacity, before inflating it', async () => {
    const scenario = tinyScenario({ transfer: { compression: 'deflate' }, arms: [{ name: 'reservoir', mode: 'relay', strategy: { name: 'replay', size: 7, selection: 'reservoir' } }] });
    const [, second] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] }) as TrainTask[];
    const capacity = 7 * SAMPLE + REPLAY_FRAMING_BYTES;
    expect(replayCapacityBytes(second)).toBe(capacity);
    coordinator = await startTestCoordinator({ resultCheck: FAKE_RESULT_CHECK });
    client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine({ stateBytes: 1000 }), clientId: 'c0' });
    const worker = await coordinator.registry.acquire();
    const err = await worker.runTask(second, null, encodedOfSize(capacity + SAMPLE)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).code).toBe('bad_request');
    expect((err as Error).message).toMatch(new RegExp(`replay blob [0-9a-f-]+ of task ${second.taskId}: declares ${capacity + SAMPLE} payload bytes, more than the ${capacity} it may hold`));
  });
});
