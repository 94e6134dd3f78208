/**
 * A stage that diverges (the loss goes non-finite) is not a lost client: `streamssl run`
 * does not retry it, fails that arm alone, writes what finished, and exits with code 1
 * naming the arm, the stage, the client and where everything is.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunJournal } from '../../server/run/journal.js';
import { startCli } from '../support/cli-process.js';
import { readResults } from '../support/same-run.js';
import { quickTrainingScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('a diverged stage', () => {
  const tempDir = useTempDir('streamssl-diverge-');

  it('fails its arm without a retry, and the run exits 1 saying what failed and where everything is', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.json');
    const out = join(dir, 'run');
    await writeFile(
      file,
      JSON.stringify(
        quickTrainingScenario({
          name: 'diverge',
          stream: { type: 'random-class', chunks: 2 },
          training: { epochsPerChunk: 1, batchSize: 16 },
          arms: [
            // A penalty this strong overflows as soon as the second chunk trains against the first's anchor.
            { name: 'diverging', mode: 'relay', regularizer: { name: 'mas', lambda: 1e12, samples: 32 } },
            { name: 'joint', mode: 'joint' },
          ],
          clients: { backend: 'wasm', threads: 1, retries: 3 },
        }),
      ),
    );
    const cli = startCli(['run', file, '--out', out, '--clients', '2'], { STREAMSSL_LOG: 'warn' });
    const { code, stdout, stderr } = await cli.exited;
    cli.killGroup();

    expect(code).toBe(1);
    expect(stderr).toMatch(/streamssl: 1 arm\(s\) failed:\n {2}- arm diverging, stage 1: client client-\d: task diverging:stage-1 failed: step \d+: training diverged: /);
    expect(stderr).toContain(`what finished is kept in ${out} (journal.json, checkpoints/, logs/); continue with:  streamssl resume ${out}`);
    expect(stdout).toContain(`results: ${join(out, 'results.json')}`);
    const journal = await RunJournal.open(out);
    expect(journal.retries).toEqual([]);
    expect(journal.stages('diverging')).toHaveLength(1);
    const results = await readResults(out);
    expect(results.arms.map((a) => [a.name, a.stages.length, a.final === null])).toEqual([
      ['diverging', 1, true],
      ['joint', 1, false],
    ]);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('Not compared (failed before their last stage): diverging.');
  }, 120_000);
});
