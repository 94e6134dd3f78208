/**
 * What the coordinator tells joining clients of the run's states (the hello reply's
 * `stateBytes`): the largest state any arm's train task may be handed, and what a client
 * does with it (readies memory for one to arrive in).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { helloReplySchema } from '../../shared/protocol.js';
import { maxHandedStateBytes } from '../../shared/state/task-state-size.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../../shared/transfer.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { scenarioStateBytes } from '../../server/schedule/state-bytes.js';
import { resultMemory } from '../../client/engine/types.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { FakeEngine } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';

const chunkSizes = [100, 110, 120];

describe('the run\'s state size told to clients', () => {
  it('is the largest state a task of any arm is handed: a regularizer\'s components count', () => {
    const plain = tinyScenario();
    const planned = plain.arms.flatMap((arm) => planArm({ scenario: plain, arm, chunkSizes }) as TrainTask[]).filter((t) => t.kind === 'train');
    expect(scenarioStateBytes(plain)).toBe(Math.max(...planned.map(maxHandedStateBytes)));
    const withMas = tinyScenario({ arms: [{ name: 'relay-mas', mode: 'relay', regularizer: { name: 'mas', samples: 16 } }] });
    expect(scenarioStateBytes(withMas)).toBeGreaterThan(scenarioStateBytes(plain)!);
  });

  it('is about half as float16, and not told when states travel deflated: their wire size is known only once compressed', () => {
    const float32 = scenarioStateBytes(tinyScenario())!;
    const float16 = scenarioStateBytes(tinyScenario({ transfer: { encoding: 'float16' } }))!;
    expect(float16).toBeGreaterThan(float32 / 2);
    expect(float16).toBeLessThan(float32 / 2 + 100_000);
    expect(scenarioStateBytes(tinyScenario({ transfer: { compression: 'deflate' } }))).toBeUndefined();
    expect(scenarioStateBytes(tinyScenario({ transfer: { encoding: 'float16', compression: 'deflate' } }))).toBeUndefined();
  });

  it('travels in the hello reply within the largest blob, never negative', () => {
    const reply = { ok: true, clientId: 'c0', heartbeatSeconds: 5 };
    expect(helloReplySchema.safeParse({ ...reply, stateBytes: 46_000_000 }).success).toBe(true);
    expect(helloReplySchema.safeParse(reply).success).toBe(true);
    for (const bad of [-1, 0, 1.5, DEFAULT_MAX_BLOB_BYTES + 1]) expect(helloReplySchema.safeParse({ ...reply, stateBytes: bad }).success).toBe(false);
  });

  describe('a joining client', () => {
    let coordinator: Coordinator | undefined;
    let client: ClientHandle | undefined;
    afterEach(async () => {
      await client?.close();
      await coordinator?.close();
      coordinator = client = undefined;
    });

    const join = async (stateBytes?: number) => {
      coordinator = await startTestCoordinator(stateBytes ? { stateBytes } : {});
      client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine(), clientId: 'c0' });
      return client;
    };

    it('readies memory for a state of the size it was told to arrive in', async () => {
      const joined = await join(123_456);
      await expect.poll(() => joined.stateMemoryBytes()).toBe(123_456);
    });

    it('lends that memory to a task handed no state, for the state it returns, and keeps it for the state that comes next', async () => {
      coordinator = await startTestCoordinator({ stateBytes: 123_456 });
      const engine = new FakeEngine();
      client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine, clientId: 'c0' });
      await expect.poll(() => client!.stateMemoryBytes()).toBe(123_456);
      const [first] = planArm({ scenario: tinyScenario(), arm: tinyScenario().arms[0], chunkSizes }) as TrainTask[];
      const worker = await coordinator.registry.acquire();
      const lent = engine.train.bind(engine);
      let spareDuringTask = -1;
      engine.train = (...args) => ((spareDuringTask = client!.stateMemoryBytes()), lent(...args));
      await worker.runTask(first, null, null);
      expect(engine.calls[0].inputs?.spareMemory?.byteLength).toBe(123_456);
      expect(spareDuringTask).toBe(0); // lent: no blob arrives during the task to want it
      expect(client.stateMemoryBytes()).toBe(123_456);
    });

    it('writes a returned state into the memory lent, else into the state it owns, else into fresh memory', () => {
      const lent = new Uint8Array(8);
      const handed = new Uint8Array(8);
      expect(resultMemory(null, { ownsState: true, spareMemory: lent }).into).toBe(lent);
      expect(resultMemory(handed, { ownsState: true, spareMemory: lent }).into).toBe(handed);
      expect(resultMemory(handed, { spareMemory: lent }).into).toBe(lent);
      expect(resultMemory(null, { ownsState: true })).toEqual({});
    });

    it('readies nothing when the coordinator does not know', async () => {
      const joined = await join();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(joined.stateMemoryBytes()).toBe(0);
    });
  });
});
