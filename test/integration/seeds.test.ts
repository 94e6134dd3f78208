/**
 * Two seeds of a tiny relay-and-joint scenario with real client processes (the training
 * engine on the wasm backend), sharing two clients: the seeds train differently on the
 * same split, and results.json's statistics are those of the two seeds' numbers.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../../server/report/results.js';
import type { SeedFields } from '../../server/report/seeds/seed-results.js';
import { summarize } from '../../server/report/seeds/statistics.js';
import { runSeededScenario } from '../../server/run/seeds.js';
import { withSeedCount } from '../../shared/scenario-seeds.js';
import { silentLogger } from '../../shared/log.js';
import { parseScenario } from '../../shared/scenario.js';
import { quickTrainingScenario } from '../support/scenario.js';

describe('two seeds with real client processes', () => {
  let dir: string;
  let results: Results & SeedFields;
  let streams: Array<Results['stream']>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-seeds-e2e-'));
    const scenario = parseScenario(quickTrainingScenario({ name: 'seeds-e2e', seed: 11, stream: { type: 'random-class', chunks: 2 } }));
    await runSeededScenario({ scenario: withSeedCount(scenario, 2), outDir: dir, clients: 2, logger: silentLogger() });
    results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results & SeedFields;
    streams = await Promise.all(results.seeds.map(async (s) => (JSON.parse(await readFile(join(dir, s.dir, 'results.json'), 'utf8')) as Results).stream));
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs each arm and the floor once per seed, on the same split, training differently', () => {
    expect(results.seeds.map((s) => s.seed)).toEqual([11, 12]);
    for (const s of results.seeds) {
      expect(s.arms.map((a) => a.final === null)).toEqual([false, false]);
      expect(existsSync(join(dir, s.dir, 'checkpoints', 'relay', 'stage-1.state'))).toBe(true);
    }
    const [a, b] = results.seeds;
    // The same split: the same classes in each chunk (seed 12 alone would draw others).
    expect(streams[1].chunks).toEqual(streams[0].chunks);
    expect(b.arms[0].stages.map((s) => s.steps)).toEqual(a.arms[0].stages.map((s) => s.steps));
    // Other initialization, data order and augmentation: other losses.
    expect(b.arms[0].stages[0].loss.first).not.toBe(a.arms[0].stages[0].loss.first);
  });

  it('summarizes the two seeds as their numbers give', () => {
    const st = results.statistics;
    for (const [i, arm] of st.arms.entries()) {
      const finals = results.seeds.map((s) => s.arms[i].final!);
      expect(arm.metrics!.knnTop1).toEqual(summarize(finals.map((f) => f.knnTop1)));
      expect(arm.metrics!.linearTop1).toEqual(summarize(finals.map((f) => f.linearTop1)));
    }
    const relay = st.arms[0];
    expect(relay.vsReference!.knnTop1.values).toEqual(results.seeds.map((s) => s.arms[0].final!.knnTop1 - s.arms[1].final!.knnTop1));
    expect(st.randomInit.knnTop1.values).toEqual(results.seeds.map((s) => s.randomInit.knnTop1));
  });
});
