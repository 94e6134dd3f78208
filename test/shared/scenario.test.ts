import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, loadScenario, parseScenario } from '../../shared/scenario.js';
import { scenarioProblems } from '../support/scenario.js';

const minimal = {
  name: 'tiny',
  dataset: { name: 'synthetic' },
  stream: { type: 'instance', chunks: 2 },
  arms: [{ name: 'relay', mode: 'relay', strategy: { name: 'replay', size: 10 } }, { name: 'joint', mode: 'joint' }],
};

const problems = scenarioProblems;

describe('scenario validation', () => {
  it('fills defaults for a minimal scenario', () => {
    const s = parseScenario(minimal);
    expect(s.training.batchSize).toBe(128);
    expect(s.ssl.method).toBe('moco-v2');
    expect(s.arms[1].strategy.name).toBe('fine-tune');
    expect(s.clients.backend).toBe('auto');
  });

  it('names a misspelled field with its path', () => {
    const p = problems({ ...minimal, training: { epochsPerChunks: 2 } });
    expect(p).toHaveLength(1);
    expect(p[0]).toBe('training.epochsPerChunks: unknown field (a typo?)');
  });

  it('names an impossible value with its path', () => {
    expect(problems({ ...minimal, stream: { type: 'instance', chunks: 0 } })[0]).toMatch(/^stream\.chunks: /);
    expect(problems({ ...minimal, stream: { type: 'sideways', chunks: 2 } })[0]).toMatch(/^stream\.type: /);
    expect(problems({ ...minimal, arms: [{ name: 'r', mode: 'relay', strategy: { name: 'replay' } }] })[0]).toMatch(/^arms\[0\]\.strategy\.size: /);
    expect(problems({ ...minimal, training: { batchSize: 100 }, ssl: { bnGroups: 3 } })[0]).toMatch(/^ssl\.bnGroups: /);
  });

  it('reports every problem at once', () => {
    const p = problems({ ...minimal, seed: -1, dataset: { name: 'idx' }, model: { widths: [] } });
    expect(p.some((x) => x.startsWith('seed: '))).toBe(true);
    expect(p.some((x) => x.startsWith('dataset.path: '))).toBe(true);
    expect(p.some((x) => x.startsWith('model.widths: '))).toBe(true);
  });

  it('has bounded fault-handling settings under clients, with defaults', () => {
    expect(parseScenario(minimal).clients).toMatchObject({ heartbeatSeconds: 300, retries: 2, reconnectWaitSeconds: 300, restarts: 3 });
    const p = problems({ ...minimal, clients: { heartbeatSeconds: 0.5, retries: -1, reconnectWaitSeconds: 0, restarts: 1.5 } });
    expect(p.map((x) => x.split(':')[0]).sort()).toEqual(['clients.heartbeatSeconds', 'clients.reconnectWaitSeconds', 'clients.restarts', 'clients.retries']);
  });

  it('rejects duplicate arm names', () => {
    const p = problems({ ...minimal, arms: [minimal.arms[0], { ...minimal.arms[0] }] });
    expect(p[0]).toMatch(/^arms\[1\]\.name: duplicate/);
  });

  it('refuses a scenario name that is not a safe file name: it names the run folder', () => {
    for (const name of ['../../x', '..', '.', 'a/b', 'a\\b', '', 'x'.repeat(101), 'tab\there', 'ü']) {
      const p = problems({ ...minimal, name });
      expect(p, name).toHaveLength(1);
      expect(p[0], name).toMatch(/^name: /);
    }
    expect(problems({ ...minimal, name: '../../x' })[0]).toMatch(/letters, digits/);
    expect(problems({ ...minimal, name: '..' })[0]).toBe('name: ".." is not a file name');
    expect(problems({ ...minimal, name: 'paper_v2.1-final' })).toEqual([]);
    expect(problems({ ...minimal, name: 'x'.repeat(100) })).toEqual([]);
  });

  it('refuses an arm name that is not a safe file name, before anything trains: it names a checkpoint folder', () => {
    for (const name of ['..', '.', '../joint', 'a b', 'x'.repeat(101)]) {
      const p = problems({ ...minimal, arms: [minimal.arms[1], { name, mode: 'joint' }] });
      expect(p, name).toHaveLength(1);
      expect(p[0], name).toMatch(/^arms\[1\]\.name: /);
    }
    expect(problems({ ...minimal, arms: [{ name: '..', mode: 'fedavg', rounds: 2 }] })).toEqual(['arms[0].name: ".." is not a file name']);
  });

  it('refuses an unsafe name set with --set as well', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 's.json');
    writeFileSync(file, JSON.stringify(minimal));
    expect(() => loadScenario(file, ['name=../../elsewhere'])).toThrow(/name: use letters/);
    expect(() => loadScenario(file, ['arms.0.name=..'])).toThrow(/arms\[0\]\.name: "\.\." is not a file name/);
  });
});

describe('overrides', () => {
  it('sets nested values, parsing JSON and keeping bare words as strings', () => {
    const out = applyOverrides(minimal, ['dataset.name=idx', 'dataset.path=/data/fm', 'training.batchSize=64', 'model.widths=[8,16]']) as typeof minimal & Record<string, any>;
    expect(out.dataset).toEqual({ name: 'idx', path: '/data/fm' });
    expect(out.training.batchSize).toBe(64);
    expect(out.model.widths).toEqual([8, 16]);
    expect(minimal.dataset.name).toBe('synthetic');
  });

  it('rejects a malformed assignment', () => {
    expect(() => applyOverrides(minimal, ['training.batchSize'])).toThrow(/key\.path=value/);
  });

  it('loads a file and names it in the error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "name": ');
    expect(() => loadScenario(file)).toThrow(/bad\.json[\s\S]*not valid JSON/);
    writeFileSync(file, JSON.stringify(minimal));
    expect(loadScenario(file, ['training.batchSize=32']).training.batchSize).toBe(32);
    expect(() => loadScenario(join(dir, 'missing.json'))).toThrow(/cannot read file/);
  });
});
