/**
 * The run's time-left estimate on snapshots of runs over several seeds (done, running,
 * waiting, failed), with evaluations and hand-offs, and the same figure in Prometheus.
 */
import { describe, expect, it } from 'vitest';
import { measuredSeconds, plannedStages, runEtaSeconds, stepsLeft, workLeft } from '../../shared/observe/eta.js';
import type { RunEvent, RunEventInput } from '../../shared/observe/run-events.js';
import { applyEvent, emptySnapshot, type RunSnapshot } from '../../shared/observe/snapshot.js';
import { RunEvents } from '../../server/observe/bus.js';
import { RunMetrics } from '../../server/observe/prometheus.js';

function snapshotOf(events: RunEventInput[]): RunSnapshot {
  const s = emptySnapshot();
  events.forEach((e, i) => applyEvent(s, { ...e, t: e.t ?? 1000 + i } as RunEvent));
  return s;
}

/** relay: two stages of 100 steps, the last evaluates; joint: one stage of 200 steps, evaluated. */
const PLAN = [
  { name: 'relay', stages: [{ stage: 0, steps: 100, evaluates: false }, { stage: 1, steps: 100, evaluates: true }], finished: 0 },
  { name: 'joint', stages: [{ stage: 0, steps: 200, evaluates: true }], finished: 0 },
];
const planned = (seed: number): RunEventInput => ({ type: 'arms-planned', seed, arms: PLAN });
/** A stage done: every hand-off 2 s, every evaluation 10 s. */
function stageDone(seed: number, arm: string, stage: number, steps: number, evaluated: boolean): RunEventInput {
  return {
    type: 'stage-done', seed, arm, mode: arm, stage, clients: ['client-0'], steps, lossFirst: 5, lossLast: 4, trainSeconds: steps / 2, imagesPerSecond: 64, handoffSeconds: 2,
    ...(evaluated ? { knnTop1: 0.5, linearTop1: 0.5, evalSeconds: 10 } : {}),
  };
}
const floor = (seed: number): RunEventInput => ({ type: 'random-init', seed, knnTop1: 0.3, linearTop1: 0.3 });
const joined = (client: string): RunEventInput => ({ type: 'client-joined', client, host: 'h', address: '127.0.0.1', pid: 1 });
function training(client: string, seed: number, arm: string, stage: number, step: number, steps: number, stepsPerSecond: number): RunEventInput[] {
  const taskId = `seed-${seed}:${arm}:stage-${stage}`;
  return [
    { type: 'task-assigned', client, taskId, kind: 'train', seed, arm, stage, steps },
    { type: 'task-started', client, taskId },
    { type: 'progress', client, taskId, seed, arm, stage, step, steps, x: step, loss: 4, stepsPerSecond },
  ];
}

/** Seeds one after another: seed 1 done, seed 2 half way (relay's stage 2 at step 40 of 100, 2 steps/s), seed 3 waiting (no plan yet). */
const SEQUENTIAL: RunEventInput[] = [
  { type: 'run-started', scenario: 'tiny', resumed: false, parallelArms: false, arms: [{ name: 'relay', mode: 'relay' }, { name: 'joint', mode: 'joint' }], seeds: [1, 2, 3] },
  joined('client-0'),
  { type: 'seed-started', seed: 1 },
  planned(1),
  floor(1),
  stageDone(1, 'relay', 0, 100, false),
  stageDone(1, 'relay', 1, 100, true),
  stageDone(1, 'joint', 0, 200, true),
  { type: 'seed-done', seed: 1, ok: true, failures: [] },
  { type: 'seed-started', seed: 2 },
  planned(2),
  floor(2),
  stageDone(2, 'relay', 0, 100, false),
  ...training('client-0', 2, 'relay', 1, 40, 100, 2),
];

describe('time left of a run over several seeds', () => {
  it('counts the steps, evaluations and hand-offs of the seeds still waiting', () => {
    const s = snapshotOf(SEQUENTIAL);
    expect(s.arms['relay · seed 3'].planned).toEqual([]);
    expect(plannedStages(s, s.arms['relay · seed 3'])).toEqual(PLAN[0].stages);
    // Seed 2: relay's stage 2 (60 left) and joint (200); seed 3: all 400.
    expect(workLeft(s)).toEqual({ steps: 660, totalSteps: 1200, stages: 5, evaluations: 2 + 2 + 1 });
    expect(stepsLeft(s)).toEqual({ left: 660, total: 1200 });
    expect(measuredSeconds(s)).toEqual({ evaluation: 10, handOff: 2 });
    // 660 steps at 2/s, 5 evaluations of 10 s and 5 stages' hand-offs of 2 s on the one client.
    expect(runEtaSeconds(s)).toBeCloseTo(330 + 50 + 10, 6);
  });

  it('counts nothing more of a seed that failed, nor of a seed or run that is done', () => {
    const failed = snapshotOf([...SEQUENTIAL, { type: 'seed-done', seed: 3, ok: false, failures: [], error: 'no client' }]);
    expect(plannedStages(failed, failed.arms['relay · seed 3'])).toEqual([]);
    expect(workLeft(failed)).toEqual({ steps: 260, totalSteps: 800, stages: 2, evaluations: 2 });
    expect(runEtaSeconds(failed)).toBeCloseTo(130 + 20 + 4, 6);

    const seedRun = (seed: number): RunEventInput[] => [stageDone(seed, 'relay', 0, 100, false), stageDone(seed, 'relay', 1, 100, true), stageDone(seed, 'joint', 0, 200, true), { type: 'seed-done', seed, ok: true, failures: [] }];
    // Seed 2 without its training client (its last four events), then both seeds to the end.
    const done = snapshotOf([...SEQUENTIAL.slice(0, -4), ...seedRun(2), { type: 'seed-started', seed: 3 }, planned(3), floor(3), ...seedRun(3)]);
    expect(workLeft(done)).toEqual({ steps: 0, totalSteps: 1200, stages: 0, evaluations: 0 });
  });

  it('spreads evaluations and hand-offs over the clients training at once (seeds in parallel)', () => {
    const s = snapshotOf([
      { type: 'run-started', scenario: 'tiny', resumed: false, parallelArms: true, arms: [{ name: 'relay', mode: 'relay' }, { name: 'joint', mode: 'joint' }], seeds: [1, 2] },
      joined('client-0'),
      joined('client-1'),
      { type: 'seed-started', seed: 1 },
      { type: 'seed-started', seed: 2 },
      planned(1),
      planned(2),
      stageDone(1, 'relay', 0, 100, false),
      ...training('client-0', 1, 'relay', 1, 50, 100, 2),
      ...training('client-1', 2, 'joint', 0, 100, 200, 3),
    ]);
    // Seed 1: relay 50 + joint 200; seed 2: relay 200 + joint 100.
    expect(workLeft(s)).toEqual({ steps: 550, totalSteps: 800, stages: 5, evaluations: 4 + 2 });
    // No evaluation measured yet: they count 0 s; one hand-off of 2 s measured.
    expect(runEtaSeconds(s)).toBeCloseTo(550 / 5 + (5 * 2) / 2, 6);
  });

  it('is unknown until a client trains at a measured rate, and counts a one-seed run\'s floor', () => {
    const s = snapshotOf([
      { type: 'run-started', scenario: 'tiny', resumed: false, parallelArms: false, arms: [{ name: 'joint', mode: 'joint' }] },
      { type: 'arms-planned', arms: [PLAN[1]] },
      joined('client-0'),
    ]);
    expect(runEtaSeconds(s)).toBeNull();
    expect(workLeft(s)).toEqual({ steps: 200, totalSteps: 200, stages: 1, evaluations: 2 });
    applyEvent(s, { type: 'random-init', t: 2000, knnTop1: 0.2, linearTop1: 0.2 });
    expect(workLeft(s).evaluations).toBe(1);
  });

  it("counts a stage scored beside the next one as trained: only its evaluation is left", () => {
    // relay: stage 0 evaluates too, and is being scored on client-1 while stage 1 trains on client-0.
    const plan = [{ name: 'relay', stages: [{ stage: 0, steps: 100, evaluates: true }, { stage: 1, steps: 100, evaluates: true }], finished: 0 }];
    const s = snapshotOf([
      { type: 'run-started', scenario: 'tiny', resumed: false, parallelArms: true, arms: [{ name: 'relay', mode: 'relay' }] },
      { type: 'arms-planned', arms: plan },
      { type: 'random-init', knnTop1: 0.3, linearTop1: 0.3 },
      joined('client-0'),
      joined('client-1'),
      { type: 'task-assigned', client: 'client-0', taskId: 'relay:stage-1', kind: 'train', arm: 'relay', stage: 1, steps: 100 },
      { type: 'task-started', client: 'client-0', taskId: 'relay:stage-1' },
      { type: 'progress', client: 'client-0', taskId: 'relay:stage-1', arm: 'relay', stage: 1, step: 40, steps: 100, x: 140, loss: 4, stepsPerSecond: 2 },
      { type: 'task-assigned', client: 'client-1', taskId: 'relay:stage-0:eval', kind: 'eval' },
    ]);
    expect(s.arms.relay.stages).toEqual([]);
    expect(workLeft(s)).toEqual({ steps: 60, totalSteps: 200, stages: 1, evaluations: 2 });
  });

  it('is what /metrics serves as streamssl_run_seconds_left', async () => {
    const events = new RunEvents();
    const metrics = new RunMetrics(events, () => 1);
    const gauge = async () => /^streamssl_run_seconds_left\{scenario="tiny"\} (\S+)$/m.exec(await metrics.text())?.[1];
    // Absent until known.
    expect(await metrics.text()).not.toMatch(/^streamssl_run_seconds_left/m);
    for (const e of SEQUENTIAL) events.publish(e);
    expect(Number(await gauge())).toBeCloseTo(runEtaSeconds(events.snapshot)!, 6);
    expect(Number(await gauge())).toBeCloseTo(390, 6);
    events.publish({ type: 'run-done', ok: true, failures: [] });
    expect(await metrics.text()).not.toMatch(/^streamssl_run_seconds_left/m);
    metrics.close();
  });
});
