/**
 * Metrics a client reports are checked against its task before anything records them:
 * steps, the evaluation asked for, per-chunk scores within the stream, accuracies in
 * [0, 1], finite numbers, bounded sample counts. A result that fails is refused, naming the
 * field; the arm fails (the client answered, wrongly: no retry) and the others go on.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import type { EvalMetrics, Progress, TrainMetrics, TrainTask } from '../../shared/tasks.js';
import { RunJournal } from '../../server/run/journal.js';
import { reportedMetricsProblem } from '../../server/run/reported-metrics.js';
import { runScenario } from '../../server/run/run.js';
import { evalTaskFor } from '../../server/schedule/eval-task.js';
import { planArm } from '../../server/schedule/index.js';
import { FakeEngine, FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const scenario = tinyScenario();
const chunkSizes = [100, 110, 120];
const [, train] = planArm({ scenario, arm: scenario.arms[0], chunkSizes });
const evaluation: EvalMetrics = {
  knnTop1: 0.5,
  linearTop1: 0.6,
  seconds: 1,
  perChunk: [0, 1, 2].map((chunk) => ({ chunk, knnTop1: 0.4, linearTop1: 0.5, samples: 16 })),
};
const honest: TrainMetrics = { steps: train.steps, lossFirst: 5, lossLast: 4, trainSeconds: 1, imagesPerSecond: 100, dataWaitSeconds: 0, samples: 110, replaySamplesUsed: 0, eval: evaluation };

describe('reported metrics', () => {
  const tempDir = useTempDir('streamssl-metrics-');

  it('accepts what an honest client reports', () => {
    expect(train.evaluation).toBeDefined();
    expect(reportedMetricsProblem(train, honest)).toBeNull();
    expect(reportedMetricsProblem(train, { ...honest, lossLast: Number.NaN })).toBeNull(); // a diverged loss is reported as such
    expect(reportedMetricsProblem(train, { ...honest, eval: { ...evaluation, perChunk: undefined } })).toBeNull();
    const evalTask = evalTaskFor(scenario, 'random-init:eval');
    expect(reportedMetricsProblem(evalTask, evaluation)).toBeNull();
    expect(reportedMetricsProblem({ ...evalTask, stream: undefined }, { ...evaluation, perChunk: undefined })).toBeNull();
  });

  it('refuses what contradicts the task, naming the field', () => {
    const problem = (m: Partial<TrainMetrics>) => reportedMetricsProblem(train, { ...honest, ...m });
    const chunk = (i: number, c: Partial<NonNullable<EvalMetrics['perChunk']>[number]>) => ({
      eval: { ...evaluation, perChunk: evaluation.perChunk!.map((p, j) => (j === i ? { ...p, ...c } : p)) },
    });
    expect(problem({ steps: train.steps + 1 })).toBe(`metrics.steps: the client reports ${train.steps + 1} step(s), the task asked for ${train.steps}`);
    expect(problem({ steps: 274_877_907_052 })).toMatch(/^metrics\.steps: /);
    expect(problem({ lossFirst: Infinity })).toMatch(/^metrics\.lossFirst: Infinity is not a loss/);
    expect(problem({ trainSeconds: -1 })).toMatch(/^metrics\.trainSeconds: -1 is not a finite non-negative number/);
    expect(problem({ imagesPerSecond: Infinity })).toMatch(/^metrics\.imagesPerSecond: /);
    expect(problem({ samples: 1.5 })).toMatch(/^metrics\.samples: 1\.5 is not a count/);
    expect(problem({ replaySamplesUsed: train.steps * train.batchSize + 1 })).toMatch(/^metrics\.replaySamplesUsed: .* draw /);
    expect(problem({ eval: undefined })).toMatch(/^metrics\.eval: missing/);
    expect(reportedMetricsProblem({ ...train, evaluation: undefined }, honest)).toMatch(/^metrics\.eval: present/);
    expect(problem({ eval: { ...evaluation, knnTop1: 1.5 } })).toMatch(/^metrics\.eval\.knnTop1: 1\.5 is not an accuracy/);
    expect(problem({ eval: { ...evaluation, linearTop1: Number.NaN } })).toMatch(/^metrics\.eval\.linearTop1: NaN is not an accuracy/);
    expect(problem({ eval: { ...evaluation, seconds: Number.NaN } })).toMatch(/^metrics\.eval\.seconds: /);
    expect(problem(chunk(2, { chunk: 7 }))).toBe('metrics.eval.perChunk[2].chunk: 7 is not a chunk of the stream (0 to 2)');
    expect(problem(chunk(2, { chunk: 0 }))).toBe('metrics.eval.perChunk[2].chunk: chunk 0 is scored twice');
    expect(problem(chunk(1, { linearTop1: -0.1 }))).toMatch(/^metrics\.eval\.perChunk\[1\]\.linearTop1: /);
    expect(problem(chunk(0, { samples: 51 }))).toBe('metrics.eval.perChunk[0].samples: 51 is more than there can be (evaluation.testSamples is 50)');
    expect(problem({ eval: { ...evaluation, perChunk: evaluation.perChunk!.slice(0, 2) } })).toMatch(/^metrics\.eval\.perChunk: 2 entries for a stream of 3 chunk/);
    const evalTask = evalTaskFor(scenario, 'random-init:eval');
    expect(reportedMetricsProblem({ ...evalTask, stream: undefined }, evaluation)).toMatch(/^metrics\.perChunk: present, though the task named no stream/);
    expect(reportedMetricsProblem(evalTask, { ...evaluation, knnTop1: 2 })).toMatch(/^metrics\.knnTop1: /);
  });

  it('a run refuses the result of a client that misreports its steps: that arm fails, naming the field, and the others finish', async () => {
    const dir = tempDir();
    const lying = inProcessClients({}, (o) => new MisreportingEngine(o));
    const summary = await runScenario({ scenario, outDir: dir, launch: lying.launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
    expect(summary.failures).toEqual([
      { arm: 'relay-replay', error: expect.stringMatching(/^arm relay-replay, stage 1: client fake-\d: task relay-replay:stage-1: result refused: metrics\.steps: the client reports 1000000 step\(s\), the task asked for 7$/) },
    ]);
    const results = await readResults(dir);
    expect(results.arms.map((a) => [a.name, a.stages.length, a.final !== null])).toEqual([
      ['relay-finetune', 3, true],
      ['relay-replay', 1, false],
      ['joint', 1, true],
    ]);
    // Nothing of the refused result was recorded, and the stage was not retried.
    expect((await RunJournal.open(dir)).stages('relay-replay').map((s) => s.metrics.steps)).toEqual([7]);
    expect(lying.engines.flatMap((e) => e.calls).filter((c) => c.taskId === 'relay-replay:stage-1')).toHaveLength(1);
  });
});

/** Reports a million steps for relay-replay's second stage. */
class MisreportingEngine extends FakeEngine {
  override async train(task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, onProgress: (p: Progress) => void) {
    const outcome = await super.train(task, state, replay, onProgress);
    return task.taskId === 'relay-replay:stage-1' ? { ...outcome, metrics: { ...outcome.metrics, steps: 1_000_000 } } : outcome;
  }
}
