/**
 * The stress scenario's shape with in-process fake clients: scenarios/stress-64.json as it
 * ships (64 clients, 64 chunks, relay, joint and fedavg), and a pool smaller than the
 * stream (16 clients, 48 chunks), where fedavg rounds queue for free clients. Both must
 * finish quickly and report the coordinator's overhead per stage.
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { loadScenario, type Scenario } from '../../shared/scenario.js';
import { runScenario } from '../../server/run/run.js';
import { inProcessClients } from '../support/launcher.js';
import { ModelStateFakeEngine } from '../support/model-state-engine.js';
import { useTempDir } from '../support/temp-dir.js';

const STRESS = fileURLToPath(new URL('../../scenarios/stress-64.json', import.meta.url));

describe('many clients (in-process fake engines)', () => {
  const tempDir = useTempDir('streamssl-stress-');

  async function runWithFakes(scenario: Scenario, clients: number) {
    const launched = inProcessClients({ stateBytes: 20_000, trainDelayMs: 5 }, (o) => new ModelStateFakeEngine(o));
    const summary = await runScenario({ scenario, outDir: join(tempDir(), scenario.name), clients, resultCheck: FAKE_RESULT_CHECK, launch: launched.launcher, logger: silentLogger() });
    return { summary, launched };
  }

  it('runs scenarios/stress-64.json on 64 clients and reports the overhead per stage', async () => {
    const scenario = loadScenario(STRESS);
    expect(scenario.clients.count).toBe(64);
    expect(scenario.stream.chunks).toBeGreaterThanOrEqual(64);
    const { summary, launched } = await runWithFakes(scenario, 64);
    expect(summary.failures).toEqual([]);
    const { results } = summary;
    expect(results.clients).toHaveLength(64);
    const [relay, joint, fedavg] = results.arms;
    expect(relay.stages).toHaveLength(scenario.stream.chunks);
    expect(new Set([relay.final!.steps, joint.final!.steps, fedavg.final!.steps]).size).toBe(1);
    // a relay stage after the first is one hand-over; every fedavg round after the first at least one
    expect(relay.coordinatorOverhead!.samples).toBe(scenario.stream.chunks - 1);
    expect(results.coordinatorOverhead!.meanSeconds).toBeGreaterThan(0);
    const fedavgClients = new Set(launched.engines.filter((e) => e.calls.some((c) => c.taskId.startsWith('fedavg:round-'))));
    expect(fedavgClients.size).toBeGreaterThan(8);
    const report = await readFile(summary.reportPath, 'utf8');
    expect(report).toMatch(/Coordinator overhead per stage, all arms .*: mean [\d.]+ ms, median [\d.]+ ms, max [\d.]+ ms over \d+ hand-over/);
  }, 120_000);

  it('serves more chunks than clients: fedavg rounds queue for free clients', async () => {
    const base = loadScenario(STRESS);
    const scenario: Scenario = { ...base, name: 'stress-small', stream: { ...base.stream, chunks: 48 }, clients: { ...base.clients, count: 16 } };
    const { summary } = await runWithFakes(scenario, 16);
    expect(summary.failures).toEqual([]);
    const fedavg = summary.results.arms.find((a) => a.mode === 'fedavg')!;
    expect(fedavg.stages).toHaveLength(2);
    // 48 tasks a round on fewer free clients: most go out after another task's result
    expect(fedavg.coordinatorOverhead!.samples).toBeGreaterThan(20);
  }, 120_000);
});
