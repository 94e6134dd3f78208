/**
 * Runs whose scenario asks for lighter transfers (issue 13), through a real coordinator
 * and in-process fake clients on loopback: what crosses the wire is compressed (and float16
 * where asked), what the engines, checks and checkpoints see is float32, and each stage
 * records the wire bytes it moved.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import type { Results } from '../../server/report/results.js';
import { runScenario } from '../../server/run/run.js';
import { decodeState } from '../../shared/state/model-state.js';
import { FAKE_RESULT_CHECK, readFakeState } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const readResults = async (dir: string) => JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;

describe('runs with transfer encodings', () => {
  const tempDir = useTempDir('streamssl-run-wire-');

  it('float32+deflate: the states arrive whole (every stage in their history), compressed on the wire', async () => {
    const stateBytes = 3_000_000;
    const clients = inProcessClients({ stateBytes });
    const scenario = tinyScenario({ transfer: { compression: 'deflate' } });
    expect(scenario.transfer).toEqual({ encoding: 'float32', compression: 'deflate' });
    await runScenario({ scenario, outDir: tempDir(), resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });

    const results = await readResults(tempDir());
    const relay = results.arms.find((a) => a.name === 'relay-replay')!;
    expect(relay.stages.map((s) => s.chunk)).toEqual([0, 1, 2]);
    const last = readFakeState(await readFile(join(tempDir(), 'checkpoints', 'relay-replay', 'stage-2.state')));
    expect(last.history.map((h) => h.stage)).toEqual([0, 1, 2]);
    expect(last.history[2].replayedChunks).toEqual([0, 1]); // the replay buffer crossed, compressed, too
    for (const stage of relay.stages) {
      // The padding is one repeated value: deflate shrinks the 3 MB state to a few kB each way.
      expect(stage.handoffBytes!.received).toBeGreaterThan(0);
      expect(stage.handoffBytes!.received).toBeLessThan(stateBytes / 20);
      expect(stage.handoffBytes!.sent).toBeLessThan(stateBytes / 20);
    }
    expect(relay.stages[0].handoffBytes!.sent).toBe(0); // the first stage starts from a fresh model
    expect(relay.stages[1].handoffBytes!.sent).toBeGreaterThan(0);
  });

  it('float16+deflate: states checked against the model and checkpointed as float32', async () => {
    const clients = inProcessClients({ fittingStates: true });
    const scenario = tinyScenario({ transfer: { encoding: 'float16', compression: 'deflate' }, arms: [{ name: 'relay', mode: 'relay' }] });
    // No resultCheck: the coordinator checks every state against the task's model, after decoding it.
    await runScenario({ scenario, outDir: tempDir(), launch: clients.launcher, logger: silentLogger() });

    const results = await readResults(tempDir());
    expect(results.arms[0].error).toBeUndefined();
    for (const stage of [0, 1, 2]) {
      const bytes = await readFile(join(tempDir(), 'checkpoints', 'relay', `stage-${stage}.state`));
      expect(Array.from(bytes.subarray(0, 4))).not.toEqual([0xc1, 0x53, 0x53, 0x57]); // no wire header: the plain state
      const state = decodeState(bytes);
      expect(Object.values(state.methodState.online).every((a) => a.values instanceof Float32Array)).toBe(true);
      // float16 carried the values, deflate shrank them: well under half the float32 state each way.
      const moved = results.arms[0].stages[stage].handoffBytes!;
      expect(moved.received).toBeLessThan(bytes.byteLength / 2);
      if (stage > 0) expect(moved.sent).toBeLessThan(bytes.byteLength / 2);
    }
  });
});
