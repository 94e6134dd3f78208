/**
 * Bug 2 of issue 12: the stream plan was taken from one client as given. A plan with fewer
 * chunks than the scenario was journaled (the run and every resume then failed); a chunk of
 * 2^40 samples became a joint task of 274,877,907,052 steps. Now the plan is checked
 * against the scenario and bounds, confirmed by a second client when there is one, and
 * nothing of a refused plan is journaled.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import type { StreamSummary } from '../../shared/protocol.js';
import { checkPlan, DEFAULT_PLAN_LIMITS, planDifference } from '../../server/run/plan-check.js';
import { runScenario } from '../../server/run/run.js';
import { FakeEngine, FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const scenario = tinyScenario();

function plan(sizes: number[], edit: (p: StreamSummary) => void = () => {}): StreamSummary {
  const p: StreamSummary = {
    trainCount: sizes.reduce((a, b) => a + b, 0),
    testCount: 50,
    numClasses: 10,
    chunks: sizes.map((size, id) => ({ id, size, classes: [0, 1, 2], style: 'original' })),
  };
  edit(p);
  return p;
}

const refusal = (p: StreamSummary, limits = DEFAULT_PLAN_LIMITS) => {
  try {
    checkPlan(p, scenario, 'evil', limits);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('checking the stream plan', () => {
  it('accepts a plan that fits the scenario', () => {
    expect(refusal(plan([100, 110, 120]))).toBeNull();
  });

  it('refuses plans that do not fit the scenario, naming the client and the problem', () => {
    const prefix = 'the stream plan from client evil is refused: ';
    expect(refusal(plan([100, 110]))).toBe(`${prefix}it has 2 chunk(s), the scenario's stream.chunks is 3`);
    expect(refusal(plan([100, 110, 120], (p) => (p.chunks[2].id = 7)))).toBe(`${prefix}chunk 2 has id 7; ids must be 0..2 in order`);
    expect(refusal(plan([100, 0, 120]))).toBe(`${prefix}chunk 1's size is 0, expected an integer in [1, 220]`);
    expect(refusal(plan([100, 110, 120], (p) => (p.trainCount = 400)))).toBe(`${prefix}its chunk sizes sum to 330, but trainCount is 400`);
    expect(refusal(plan([100, 110, 120], (p) => p.chunks[0].classes.push(10)))).toBe(`${prefix}chunk 0 names class 10, outside 0..9`);
    expect(refusal(plan([100, 110, 120], (p) => (p.chunks[1].domains = [0])))).toBe(`${prefix}chunk 1 names domain 0, but the plan names 0 domain(s)`);
    expect(refusal(plan([100, 110, 120], (p) => (p.numClasses = 1e7)))).toBe(`${prefix}numClasses is 10000000, expected an integer in [1, 100000]`);
  });

  it('refuses a chunk of 2^40 samples, and any plan whose arms would take more steps than the limit', () => {
    expect(refusal(plan([100, 2 ** 40, 120]))).toMatch(/trainCount is 1099511627996, expected an integer in \[1, 1000000000\]/);
    expect(refusal(plan([100, 2 ** 40, 120], (p) => (p.trainCount = 330)))).toMatch(/chunk 1's size is 1099511627776, expected an integer in \[1, 330\]/);
    // 3 x 300 million samples, 2 epochs, batches of 32: 56 million steps per relay arm, within the default limit.
    expect(refusal(plan([3e8, 3e8, 3e8]))).toBeNull();
    expect(refusal(plan([3e8, 3e8, 3e8]), { ...DEFAULT_PLAN_LIMITS, maxStepsPerArm: 1e7 })).toBe(
      'the stream plan from client evil is refused: arm relay-finetune would take 56250000 optimizer steps, more than the limit of 10000000 steps per arm',
    );
  });

  it('finds where two plans differ, and ignores which files each client skipped', () => {
    expect(planDifference(plan([100, 110, 120]), plan([100, 110, 120], (p) => (p.skippedFiles = { count: 1, examples: [] })))).toBeNull();
    expect(planDifference(plan([100, 110, 120]), plan([100, 115, 115]))).toBe('chunk 1: {"id":1,"size":110,"classes":[0,1,2],"style":"original"} against {"id":1,"size":115,"classes":[0,1,2],"style":"original"}');
  });
});

describe('the run and a plan it cannot use', () => {
  const tempDir = useTempDir('streamssl-plan-');
  const journaledStream = async () => (JSON.parse(await readFile(join(tempDir(), 'journal.json'), 'utf8')) as { stream: unknown }).stream;

  it('refuses a plan with fewer chunks than the scenario, and journals nothing of it', async () => {
    const clients = inProcessClients({ chunkSizes: [100, 110] });
    const run = runScenario({ scenario, outDir: tempDir(), clients: 1, launch: clients.launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
    await expect(run).rejects.toThrow(/the stream plan from client fake-0 is refused: it has 2 chunk\(s\), the scenario's stream.chunks is 3/);
    expect(await journaledStream()).toBeNull();
    expect(clients.engines[0].calls.filter((c) => c.kind === 'train')).toEqual([]);
  });

  it('asks a second client and refuses a disagreement, naming both clients', async () => {
    let made = 0;
    const clients = inProcessClients({}, (o) => new FakeEngine(made++ === 0 ? o : { ...o, chunkSizes: [100, 110, 121] }));
    const run = runScenario({ scenario, outDir: tempDir(), clients: 2, launch: clients.launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
    await expect(run).rejects.toThrow(/the stream plans of clients fake-[01] and fake-[01] disagree \(trainCount: 33[01] against 33[01]\)/);
    expect(await journaledStream()).toBeNull();
    expect(clients.engines.map((e) => e.calls.filter((c) => c.kind === 'plan').length)).toEqual([1, 1]);
  });

  it('uses a plan two clients agree on', async () => {
    const clients = inProcessClients({});
    const summary = await runScenario({ scenario: { ...scenario, arms: [scenario.arms[2]] }, outDir: tempDir(), clients: 2, launch: clients.launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
    expect(summary.failures).toEqual([]);
    expect(clients.engines.map((e) => e.calls.filter((c) => c.kind === 'plan').length)).toEqual([1, 1]);
    expect(((await journaledStream()) as StreamSummary).chunks.map((c) => c.size)).toEqual([100, 110, 120]);
  });
});
