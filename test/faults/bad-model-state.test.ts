/**
 * Bad model states in a relay, with real engines (TensorFlow.js, tiny model) behind real
 * sockets: a client returning weights with NaN, with a changed shape (at the first stage
 * too), of another dtype or without an array, and a stage whose loss turns NaN. Each fails its stage with a message naming it; the last good state (the
 * previous stage's checkpoint) stays as it was, and nothing of the bad stage is kept.
 */
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { createEngine, type TrainingEngine } from '../../client/engine/index.js';
import { decodeState, encodeState, type ModelState } from '../../shared/state/model-state.js';
import type { Engine } from '../../client/engine/types.js';
import type { TrainTask } from '../../shared/tasks.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { ARM_MODES, planArm, runArm, type ArmModes } from '../../server/schedule/index.js';
import type { TaskClient, ClientPool } from '../../server/clients/pool.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { logBuffer, type LogBuffer } from '../support/log-buffer.js';
import { tinyRelayScenario } from '../support/scenario.js';

const scenario = tinyRelayScenario({ training: { epochsPerChunk: 1, batchSize: 16 }, evaluation: { everyStage: false, trainSamples: 32, testSamples: 32 } });
const arm = scenario.arms[0];
const input = { scenario, arm, chunkSizes: [32, 32] };
const [stageZero, stageOne] = planArm(input);

/** The arm modes with relay's stages replaced by `tasks` (one of them tampered with). */
function relayRunning(tasks: TrainTask[]): ArmModes {
  return { ...ARM_MODES, relay: { ...ARM_MODES.relay, plan: () => tasks.map((record) => ({ record })) } };
}

/** The real engine, with the state it returns changed by `tamper`. */
function tampering(engine: TrainingEngine, tamper: (state: ModelState) => void): Engine {
  return {
    describeStream: (selection) => engine.describeStream(selection),
    evaluate: (task, state) => engine.evaluate(task, state),
    async train(task, state, replay, onProgress) {
      const out = await engine.train(task, state, replay, onProgress);
      const changed = decodeState(out.state);
      tamper(changed);
      return { ...out, state: encodeState(changed) };
    },
  };
}

/** Hands out `workers` in order, the last one again when asked for more. */
function inOrder(workers: TaskClient[]): ClientPool {
  let next = 0;
  return { acquire: async () => workers[Math.min(next++, workers.length - 1)], release: () => undefined };
}

describe('bad model states in a relay (real engines)', () => {
  let engine: TrainingEngine;
  let coordinator: Coordinator;
  let log: LogBuffer;
  let dir: string;
  const handles: ClientHandle[] = [];
  beforeAll(async () => {
    engine = await createEngine({ backend: 'wasm' });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-bad-state-'));
    log = logBuffer();
    coordinator = await startTestCoordinator({ logger: log.logger, resultCheck: MANIFEST_CHECK });
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.close()));
    await coordinator.close();
    await rm(dir, { recursive: true, force: true });
  });
  /** Joins a client with `clientEngine`, returns it as a worker. */
  async function joinClient(clientId: string, clientEngine: Engine): Promise<TaskClient> {
    handles.push(await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: clientEngine, clientId }));
    await coordinator.registry.waitForClients(handles.length, 10_000);
    const workers: TaskClient[] = [];
    for (let i = 0; i < handles.length; i++) workers.push(await coordinator.registry.acquire());
    workers.forEach((w) => coordinator.registry.release(w));
    return workers.find((w) => w.id === clientId)!;
  }

  /** Runs stage 0 on an honest client and stage 1 on `second`; checks the run kept stage 0 only. */
  async function relayFailingAtStageOne(second: { id: string; engine: Engine } | null, tasks: TrainTask[] = [stageZero, stageOne]): Promise<string> {
    const honest = await joinClient('honest', engine);
    const other = second ? await joinClient(second.id, second.engine) : honest;
    const checkpoints = new CheckpointStore(dir);
    const err = await runArm(input, { pool: inOrder([honest, other]), checkpoints, logger: log.logger }, relayRunning(tasks)).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const kept = decodeState(new Uint8Array(await readFile(checkpoints.paths(arm.name, 0).state)));
    expect(kept.step).toBe(stageZero.steps); // the last good state, intact
    await expect(access(checkpoints.paths(arm.name, 1).state)).rejects.toThrow(/ENOENT/);
    return (err as Error).message;
  }

  const firstWeight = (state: ModelState) => Object.entries(state.methodState.online)[0];

  it('a client returning weights with NaN fails its stage; the state is not kept', async () => {
    let poisoned = '';
    const nan = tampering(engine, (state) => {
      const [name, array] = firstWeight(state);
      poisoned = name;
      array.values[5] = Number.NaN;
    });
    const message = await relayFailingAtStageOne({ id: 'poisoner', engine: nan });
    expect(message).toBe(`arm relay, stage 1: client poisoner: task:result: the returned state holds NaN at methodState.online.${poisoned}.values[5]`);
    expect(log.messages(/^rejected task:result: .*holds NaN/)).toHaveLength(1);
  });

  /** Reverses the dims of the first weight (the state keeps its size): what it says of it. */
  const reverseShape = (state: ModelState) => {
    const [name, array] = firstWeight(state);
    const reversed = [...array.shape].reverse();
    state.methodState.online[name] = { shape: reversed, values: array.values };
    return `methodState.online.${name}: has shape [${reversed.join(', ')}], the model's is [${array.shape.join(', ')}]`;
  };

  it('a client returning weights of another shape fails its stage, naming both shapes', async () => {
    let named = '';
    const wrongShape = tampering(engine, (state) => void (named = reverseShape(state)));
    const message = await relayFailingAtStageOne({ id: 'reshaper', engine: wrongShape });
    expect(message).toBe(`arm relay, stage 1: client reshaper: task:result: the returned state does not fit the task's model: ${named}`);
  });

  it('a first-stage state of the wrong shape (nothing earlier to compare with) fails stage 0; nothing is kept', async () => {
    let named = '';
    const wrongShape = tampering(engine, (state) => void (named = reverseShape(state)));
    const first = await joinClient('reshaper', wrongShape);
    const checkpoints = new CheckpointStore(dir);
    const err = await runArm(input, { pool: inOrder([first]), checkpoints, logger: log.logger }, relayRunning([stageZero])).catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe(`arm relay, stage 0: client reshaper: task:result: the returned state does not fit the task's model: ${named}`);
    await expect(access(checkpoints.paths(arm.name, 0).state)).rejects.toThrow(/ENOENT/);
  });

  it('a client returning an array of another dtype fails its stage, naming the array', async () => {
    let name = '';
    const int32 = tampering(engine, (state) => {
      const [weight, array] = firstWeight(state);
      name = weight;
      state.methodState.online[weight] = { shape: array.shape, values: new Int32Array(array.values.length) as unknown as Float32Array };
    });
    const message = await relayFailingAtStageOne({ id: 'int32', engine: int32 });
    expect(message).toBe(`arm relay, stage 1: client int32: task:result: the returned state does not fit the task's model: methodState.online.${name}: holds Int32Array values, expected float32 (Float32Array)`);
  });

  it('a client returning a state without one of the model’s arrays fails its stage before decoding it', async () => {
    const dropping = tampering(engine, (state) => void delete state.methodState.key[firstWeight(state)[0]]);
    const message = await relayFailingAtStageOne({ id: 'dropper', engine: dropping });
    expect(message).toMatch(/^arm relay, stage 1: client dropper: task:result: the returned state is \d+ bytes, a state of the task's model is \d+ bytes: refused undecoded$/);
  });

  it('a stage whose loss becomes NaN fails naming arm, stage and step; stage 0 stays the last good state', async () => {
    const diverging: TrainTask = { ...stageOne, optimizer: { ...stageOne.optimizer, lr: 1e30 } };
    const message = await relayFailingAtStageOne(null, [stageZero, diverging]);
    expect(message).toMatch(/^arm relay, stage 1: client honest: task relay:stage-1 failed: step \d+: training diverged: /);
    expect(log.messages(/stage done/)).toHaveLength(1);
  });
});
