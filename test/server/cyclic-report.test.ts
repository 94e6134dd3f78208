/**
 * results.json and the report of a cyclic relay: rows of the accuracy matrix are visits,
 * labelled by cycle and chunk; forgetting is measured from the visits' chunks.
 */
import { describe, expect, it } from 'vitest';
import type { EvalMetrics } from '../../shared/tasks.js';
import { reportFigures } from '../../server/report/figures.js';
import { renderReport } from '../../server/report/report.js';
import { buildResults } from '../../server/report/results.js';
import { planArm, type ArmRun } from '../../server/schedule/index.js';
import { tinyScenario } from '../support/scenario.js';

const scenario = tinyScenario({
  stream: { type: 'random-class', chunks: 2 },
  arms: [
    { name: 'cyclic', mode: 'relay', cycles: 2, order: 'random' },
    { name: 'one-pass', mode: 'relay' },
  ],
});
const chunkSizes = [60, 60];

/** An evaluation whose accuracy on chunk j after visit v is (v + 1) / 10 + j / 100. */
function evalAfter(visit: number): EvalMetrics {
  const perChunk = [0, 1].map((chunk) => ({ chunk, knnTop1: (visit + 1) / 10 + chunk / 100, linearTop1: (visit + 1) / 10 + chunk / 100, samples: 10 }));
  return { knnTop1: 0.5, linearTop1: 0.5, perChunk, seconds: 0.1 };
}

function armRun(index: number): ArmRun {
  const arm = scenario.arms[index];
  const stages = planArm({ scenario, arm, chunkSizes }).map((task, v) => ({
    stage: task.stage,
    task,
    clientId: 'c0',
    metrics: { steps: task.steps, lossFirst: 2, lossLast: 1, trainSeconds: 1, imagesPerSecond: 10, dataWaitSeconds: 0, samples: 60, replaySamplesUsed: 0, eval: evalAfter(v) },
    handoffSeconds: 0.1,
    checkpoint: { state: `s${v}`, replay: null, sha256: { state: 'x', replay: null } },
  }));
  return { arm, stages };
}

describe('a cyclic relay in results.json and the report', () => {
  const results = buildResults({
    scenario,
    randomInit: { ...evalAfter(-1), knnTop1: 0.1, linearTop1: 0.1 },
    arms: [armRun(0), armRun(1)],
    computeMatching: 'matched',
    stream: { chunks: chunkSizes.map((size, id) => ({ id, size })) },
    clients: [],
    startedAt: new Date(0),
    finishedAt: new Date(1000),
  });
  const [cyclic, onePass] = results.arms;
  const visits = cyclic.stages.map((s) => s.chunk as number);

  it('keeps a row per visit with the chunk it trained, and measures forgetting from them', () => {
    expect(cyclic).toMatchObject({ cycles: 2, order: 'random', strategy: 'fine-tune, 2 cycles random' });
    expect(onePass).not.toHaveProperty('cycles');
    expect(cyclic.accuracyMatrix!.stages).toEqual([0, 1, 2, 3]);
    expect(cyclic.accuracyMatrix!.chunks).toEqual(visits);
    expect(cyclic.accuracyMatrix!.linearTop1).toHaveLength(4);
    // Accuracy only rises: nothing is forgotten; the last row is the final one.
    expect(cyclic.forgetting!.linear.averageForgetting).toBeCloseTo(-0.1, 9);
    expect(cyclic.forgetting!.linear.averageAccuracy).toBeCloseTo(0.405, 9);
    expect(onePass.accuracyMatrix!.chunks).toEqual([0, 1]);
    expect(onePass.forgetting).toBeDefined();
  });

  it('labels the rows by visit (cycle, chunk), and one pass in stream order by stage as before', () => {
    const report = renderReport(results);
    visits.forEach((chunk, v) => expect(report).toContain(`| ${v} (cycle ${Math.floor(v / 2) + 1}, chunk ${chunk}) |`));
    expect(report).toContain('## cyclic (relay, fine-tune, 2 cycles random)');
    expect(report).toMatch(/\| one-pass \| relay \(fine-tune\) \|/);
    const heatmaps = reportFigures(results).filter((f) => f.kind === 'heatmap');
    expect(heatmaps.map((f) => f.rows)).toEqual([visits.map((chunk, v) => `stage ${v} (cycle ${Math.floor(v / 2) + 1}, chunk ${chunk})`), ['stage 0', 'stage 1']]);
  });
});
