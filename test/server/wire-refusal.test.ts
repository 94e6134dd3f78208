/**
 * The coordinator decodes a result's wire bytes before it checks them, bounded by what the
 * task may return: a compressed state larger than the task's model allows is refused from
 * its header, before it is inflated, naming the blob and the task. A client bounds a state
 * it is handed the same way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { TaskError } from '../../server/net/remote-client.js';
import { planArm } from '../../server/schedule/index.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { FakeEngine } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';
import { maxHandedStateBytes } from '../../shared/state/task-state-size.js';

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
});
