/**
 * Bytes on the wire per arm, through a real coordinator and in-process fake clients on
 * loopback: each arm's `wireBytes` is the sum of its stages' hand-offs, states and replay
 * apart, and the report shows them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { runScenario } from '../../server/run/run.js';
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { ModelStateFakeEngine } from '../support/model-state-engine.js';
import { readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('bytes on the wire per arm', () => {
  const tempDir = useTempDir('streamssl-wire-bytes-');

  it('sums every stage’s hand-offs per arm, both ways, states and replay apart, and reports them', async () => {
    const dir = tempDir();
    const scenario = tinyScenario({
      arms: [
        { name: 'relay-replay', mode: 'relay', strategy: { name: 'replay', size: 10 } },
        { name: 'joint', mode: 'joint' },
        { name: 'fedavg', mode: 'fedavg', rounds: 2 },
      ],
    });
    const clients = inProcessClients({ stateBytes: 50_000 }, (o) => new ModelStateFakeEngine(o));
    const summary = await runScenario({ scenario, outDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    expect(summary.failures).toEqual([]);

    const results = await readResults(dir);
    for (const arm of results.arms) {
      const w = arm.wireBytes!;
      const stages = arm.stages.map((s) => s.handoffBytes!);
      expect(w.sent).toBe(stages.reduce((n, b) => n + b.sent, 0));
      expect(w.received).toBe(stages.reduce((n, b) => n + b.received, 0));
      expect(w.replay.sent).toBe(stages.reduce((n, b) => n + b.replay!.sent, 0));
      expect(w.replay.received).toBe(stages.reduce((n, b) => n + b.replay!.received, 0));
      expect(w.states.sent + w.replay.sent).toBe(w.sent);
      expect(w.states.received + w.replay.received).toBe(w.received);
      expect(w.states.received).toBeGreaterThan(0);
    }
    const [relay, joint, fedavg] = results.arms;
    // Relay sends a state and replay buffer into every stage but the first, and gets both back from each.
    expect(relay.wireBytes!.states.sent).toBeGreaterThan(0);
    expect(relay.wireBytes!.replay.sent).toBeGreaterThan(0);
    expect(relay.wireBytes!.replay.received).toBeGreaterThan(relay.wireBytes!.replay.sent);
    // Joint starts from a fresh model and keeps no replay; fedavg keeps none either but sends the average every round after the first.
    expect(joint.wireBytes!.sent).toBe(0);
    expect(fedavg.wireBytes!.replay).toEqual({ sent: 0, received: 0 });
    expect(fedavg.wireBytes!.states.sent).toBeGreaterThan(0);

    const report = await readFile(join(dir, 'report.md'), 'utf8');
    expect(report).toMatch(/## Bytes on the wire\n\n\| arm \| sent to clients \| received \| states sent \| states received \| replay sent \| replay received \|/);
    expect(report).toMatch(/\| relay-replay \| [\d.]+ [kM]?B \| [\d.]+ [kM]?B \|/);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Bytes on the wire');
  });
});
