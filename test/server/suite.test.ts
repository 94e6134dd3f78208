import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../../server/report/results.js';
import { forgettingSideBySide, loadSuite, renderSuite } from '../../server/run/suite.js';

describe('suite', () => {
  it('validates every scenario before anything runs, naming the bad file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'suite-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 'a', dataset: { name: 'synthetic' }, stream: { type: 'instance', chunks: 2 }, arms: [{ name: 'j', mode: 'joint' }] }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ name: 'b', dataset: { name: 'synthetic' }, stream: { type: 'instance', chunks: 0 }, arms: [] }));
    expect(() => loadSuite(dir)).toThrow(/b\.json[\s\S]*stream\.chunks/);
    expect(() => loadSuite(mkdtempSync(join(tmpdir(), 'empty-')))).toThrow(/no scenario files/);
  });

  it('refuses a scenario whose name or arm name is not a safe file name, and two scenarios of the same name', () => {
    const scenario = (name: string, arm = 'j') => JSON.stringify({ name, dataset: { name: 'synthetic' }, stream: { type: 'instance', chunks: 2 }, arms: [{ name: arm, mode: 'joint' }] });
    const escape = mkdtempSync(join(tmpdir(), 'suite-'));
    writeFileSync(join(escape, 'a.json'), scenario('a'));
    writeFileSync(join(escape, 'b.json'), scenario('../../outside'));
    expect(() => loadSuite(escape)).toThrow(/b\.json[\s\S]*name: use letters/);
    const arm = mkdtempSync(join(tmpdir(), 'suite-'));
    writeFileSync(join(arm, 'a.json'), scenario('a', '..'));
    expect(() => loadSuite(arm)).toThrow(/a\.json[\s\S]*arms\[0\]\.name: "\.\." is not a file name/);
    const twice = mkdtempSync(join(tmpdir(), 'suite-'));
    writeFileSync(join(twice, 'a.json'), scenario('same'));
    writeFileSync(join(twice, 'b.json'), scenario('same'));
    expect(() => loadSuite(twice)).toThrow(/b\.json: name: "same" is also the name of a\.json/);
  });

  it('reports a failed scenario in the table instead of dropping it', () => {
    const table = renderSuite([{ name: 'broken', error: 'client client-0: task x failed: training diverged\nmore' }]);
    expect(table).toContain('| broken | failed: client client-0: task x failed: training diverged |');
  });

  it("shows each arm's Δ against joint on both probes, and what it cost in seconds and wire bytes", () => {
    const final = (knn: number, linear: number, seconds: number) => ({ knnTop1: knn, linearTop1: linear, steps: 10, trainSeconds: seconds, handoffSeconds: 1, seconds: 2 });
    const wire = (mb: number) => ({ sent: mb * 1e6, received: mb * 1e6, states: { sent: mb * 1e6, received: mb * 1e6 }, replay: { sent: 0, received: 0 } });
    const results = {
      scenario: { name: 'p', stream: { type: 'dirichlet' }, ssl: { method: 'moco-v2' } },
      randomInit: { knnTop1: 0.6, linearTop1: 0.65 },
      arms: [
        { name: 'fedavg', mode: 'fedavg', final: final(0.7, 0.72, 90), wireBytes: wire(200) },
        { name: 'joint', mode: 'joint', final: final(0.75, 0.78, 60), wireBytes: wire(2) },
      ],
    } as unknown as Results;
    const table = renderSuite([{ name: 'p', results }]);
    expect(table).toContain('| p | dirichlet | moco-v2 | fedavg | 70.0 | 72.0 | -5.0 | -6.0 | – | – | – | 91 | 400.0 |');
    expect(table).toContain('| p | dirichlet | moco-v2 | joint | 75.0 | 78.0 | 0.0 | 0.0 | – | – | – | 61 | 4.0 |');
  });

  it('sets supervised forgetting beside self-supervised forgetting, stream by stream', () => {
    const forgetting = (f: number) => ({ linear: { averageAccuracy: 0.8, averageForgetting: f, backwardTransfer: -f }, knn: { averageAccuracy: 0.8, averageForgetting: f, backwardTransfer: -f } });
    const run = (stream: string, method: string, arms: Array<[string, number | null]>) => ({
      name: `${stream}-${method}`,
      results: {
        scenario: { stream: { type: stream }, ssl: { method } },
        arms: arms.map(([name, f]) => (f === null ? { name, mode: 'joint' } : { name, mode: 'relay', forgetting: forgetting(f) })),
      } as unknown as Results,
    });
    const table = forgettingSideBySide([
      run('random-class', 'moco-v2', [['fine-tune', 0.012], ['replay', 0.004], ['joint', null]]),
      run('random-class', 'supervised', [['fine-tune', 0.52], ['joint', null]]),
      run('domain', 'supervised', [['fine-tune', 0.014]]),
      { name: 'broken', error: 'x' },
    ]);
    expect(table.slice(2)).toEqual([
      '| stream | moco-v2 fine-tune | moco-v2 replay | supervised fine-tune |',
      '| --- | ---: | ---: | ---: |',
      '| random-class | 1.2 | 0.4 | 52.0 |',
      '| domain | – | – | 1.4 |',
    ]);
    expect(forgettingSideBySide([{ name: 'broken', error: 'x' }])).toEqual([]);
  });
});
