/**
 * The run journal: what it records comes back as it was written (NaN losses included),
 * writes land in order, and a folder whose journal is missing, corrupt, from other code or
 * whose checkpoints were damaged is refused with an error naming the file and the reason.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { encode } from '../../shared/codec.js';
import type { TrainMetrics } from '../../shared/tasks.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { codeVersion } from '../../server/run/code-version.js';
import { JOURNAL_FILE, JournalError, RunJournal, type ClientSetup } from '../../server/run/journal.js';
import { armStarts } from '../../server/run/resume-point.js';
import { planArm, type StageRecord } from '../../server/schedule/index.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const scenario = tinyScenario();
const setup: ClientSetup = { clients: 2, backend: 'cpu', threads: 1, remote: false };
const chunkSizes = [100, 110, 120];
const stream = { chunks: chunkSizes.map((size, id) => ({ id, size })) };
const relay = scenario.arms[1]; // relay with replay
const relayTasks = planArm({ scenario, arm: relay, chunkSizes });
const metrics: TrainMetrics = { steps: 7, lossFirst: Number.NaN, lossLast: 4, trainSeconds: 1, imagesPerSecond: 10, samples: 100, replaySamplesUsed: 0, dataWaitSeconds: 0 };

describe('run journal', () => {
  const tempDir = useTempDir('streamssl-journal-');
  let dir: string;
  let store: CheckpointStore;
  beforeEach(() => {
    dir = tempDir();
    store = new CheckpointStore(dir);
  });

  async function finishStage(journal: RunJournal, stage: number): Promise<StageRecord> {
    const checkpoint = await store.write(relay.name, stage, encode({ stage }), encode({ replay: stage }));
    const record: StageRecord = { stage, task: relayTasks[stage], clientId: `client-${stage}`, metrics, handoffSeconds: 0.25, checkpoint };
    await journal.recordStage(relay.name, record);
    return record;
  }

  async function rewrite(change: (raw: Record<string, unknown>) => void): Promise<void> {
    const path = join(dir, JOURNAL_FILE);
    const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    change(raw);
    await writeFile(path, JSON.stringify(raw));
  }

  it('reads back what was recorded, and the resume point of every arm', async () => {
    const journal = await RunJournal.create(dir, { scenario, setup, stream });
    await journal.recordRandomInit({ knnTop1: 0.1, linearTop1: 0.12, seconds: 1 });
    await journal.recordClient({ id: 'client-0', hostname: 'here', pid: 42, backend: 'cpu' });
    await journal.recordClient({ id: 'client-0', hostname: 'here', pid: 42, backend: 'cpu' });
    const records = [await finishStage(journal, 0), await finishStage(journal, 1)];
    await journal.recordRetry({ taskId: 'relay-replay:stage-1', arm: relay.name, stage: 1, attempt: 1, client: 'client-1', reason: 'client client-1 disconnected (transport close)' });
    await journal.recordArmError('joint', 'arm joint, stage 0: gave up');

    const again = await RunJournal.open(dir);
    expect(again.scenario).toEqual(scenario);
    expect(again.setup).toEqual(setup);
    expect(again.stream).toEqual(stream);
    expect(again.randomInit).toEqual({ knnTop1: 0.1, linearTop1: 0.12, seconds: 1 });
    expect(again.clients).toEqual([{ id: 'client-0', hostname: 'here', pid: 42, backend: 'cpu' }]);
    expect(again.stages(relay.name)).toEqual(records);
    expect(again.stages(relay.name)[0].metrics.lossFirst).toBeNaN();
    expect(again.retries).toEqual([expect.objectContaining({ arm: relay.name, stage: 1, attempt: 1, client: 'client-1' })]);
    expect(again.armError('joint')).toBe('arm joint, stage 0: gave up');
    const raw = JSON.parse(await readFile(join(dir, JOURNAL_FILE), 'utf8')) as { code: string; arms: Array<{ stages: Array<{ checkpoint: { state: string } }> }> };
    expect(raw.code).toBe(codeVersion());
    expect(raw.arms[1].stages[0].checkpoint.state).toBe('checkpoints/relay-replay/stage-0.state');

    const starts = await armStarts(again, store);
    expect(starts.map((s) => [s.arm.name, s.finished.length, s.done])).toEqual([
      ['relay-finetune', 0, false],
      ['relay-replay', 2, false],
      ['joint', 0, false],
    ]);
    expect(starts[1].resume).toMatchObject({ state: new Uint8Array(encode({ stage: 1 })), replay: new Uint8Array(encode({ replay: 1 })) });
  });

  it('lands concurrent records in the order they were made', async () => {
    const journal = await RunJournal.create(dir, { scenario, setup });
    await Promise.all(Array.from({ length: 20 }, (_, i) => journal.recordRetry({ taskId: `t${i}`, attempt: 1, client: 'c', reason: 'r' })));
    expect((await RunJournal.open(dir)).retries.map((r) => r.taskId)).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
  });

  it('refuses to start a second run in a folder that holds one', async () => {
    await RunJournal.create(dir, { scenario, setup });
    await expect(RunJournal.create(dir, { scenario, setup })).rejects.toThrow(`${dir} already holds a run (journal.json): continue it with  streamssl resume ${dir}`);
  });

  it('refuses a folder without a journal, and a journal that is corrupt, truncated or from other code', async () => {
    await expect(RunJournal.open(dir)).rejects.toThrow(new JournalError(`${dir} has no journal.json: not a streamssl run folder`));
    await RunJournal.create(dir, { scenario, setup });
    const path = join(dir, JOURNAL_FILE);
    const whole = await readFile(path, 'utf8');

    await writeFile(path, whole.slice(0, whole.length / 2));
    await expect(RunJournal.open(dir)).rejects.toThrow(new RegExp(`^${path} is corrupt \\(not valid JSON: `));
    await writeFile(path, whole);
    await rewrite((raw) => (raw.code = '0.0.1+0123456789abcdef'));
    await expect(RunJournal.open(dir)).rejects.toThrow(`${path} was written by streamssl 0.0.1+0123456789abcdef, this is ${codeVersion()}`);
    await writeFile(path, whole);
    await rewrite((raw) => (raw.format = 'something-else'));
    await expect(RunJournal.open(dir)).rejects.toThrow(`${path} is not a streamssl run journal`);
    await writeFile(path, whole);
    await rewrite((raw) => (raw.randomInit = { knnTop1: 2 }));
    await expect(RunJournal.open(dir)).rejects.toThrow(new RegExp(`^${path} is corrupt: randomInit.knnTop1: `));
    await writeFile(path, whole);
    await rewrite((raw) => ((raw.scenario as { stream: { chunks: number } }).stream.chunks = 0));
    await expect(RunJournal.open(dir)).rejects.toThrow(/scenario\)[^]*stream\.chunks/);
  });

  it('refuses to continue from a checkpoint that lost its bytes, or a stage the plan no longer gives', async () => {
    const journal = await RunJournal.create(dir, { scenario, setup, stream });
    const record = await finishStage(journal, 0);
    await writeFile(record.checkpoint.state, encode({ stage: 'tampered' }));
    await expect(armStarts(await RunJournal.open(dir), store)).rejects.toThrow(
      `${dir}: cannot continue arm relay-replay after stage 0: checkpoint of arm relay-replay stage 0: ${record.checkpoint.state} does not hold the bytes that were written (SHA-256 differs)`,
    );
    await rm(record.checkpoint.replay!);
    await expect(armStarts(await RunJournal.open(dir), store)).rejects.toThrow(/cannot continue arm relay-replay after stage 0: /);

    await rewrite((raw) => ((raw.stream as typeof stream).chunks[0].size = 64));
    await expect(armStarts(await RunJournal.open(dir), store)).rejects.toThrow(`${join(dir, JOURNAL_FILE)}: arm relay-replay stage 0 ran another task than the plan gives now`);
  });
});
