import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite, renderSuite } from '../../server/suite.js';

describe('suite', () => {
  it('validates every scenario before anything runs, naming the bad file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'suite-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 'a', dataset: { name: 'synthetic' }, stream: { type: 'instance', chunks: 2 }, arms: [{ name: 'j', mode: 'joint' }] }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ name: 'b', dataset: { name: 'synthetic' }, stream: { type: 'instance', chunks: 0 }, arms: [] }));
    expect(() => loadSuite(dir)).toThrow(/b\.json[\s\S]*stream\.chunks/);
    expect(() => loadSuite(mkdtempSync(join(tmpdir(), 'empty-')))).toThrow(/no scenario files/);
  });

  it('reports a failed scenario in the table instead of dropping it', () => {
    const table = renderSuite([{ name: 'broken', error: 'client client-0: task x failed: training diverged\nmore' }]);
    expect(table).toContain('| broken | failed: client client-0: task x failed: training diverged |');
  });
});
