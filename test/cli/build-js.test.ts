/**
 * The compiled build bin/streamssl.mjs runs (scripts/build-js.mjs): it is named by the
 * sources' fingerprint, holds every module and the files modules read beside themselves,
 * and compiled code finds the project's files (the native addon, the sources, package.json)
 * and its child processes' entries in the same build.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { currentBuild, ensureBuild, sourceFingerprint } from '../../scripts/build-js.mjs';
import { PROJECT_ROOT } from '../../shared/code-location.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the compiled build', () => {
  it('is built once per fingerprint of the sources and holds what the CLI needs', async () => {
    const entry = await ensureBuild();
    const build = dirname(dirname(entry));
    expect(build).toBe(join(ROOT, 'dist', sourceFingerprint()));
    expect(currentBuild()).toBe(entry);
    // Built again: the same folder, not rebuilt.
    expect(await ensureBuild()).toBe(entry);
    for (const file of ['cli/main.js', 'client/main.js', 'client/analysis/main.js', 'client/data/pipeline-worker.js', 'client/backend/wasm-pthread-worker.cjs', 'client/data/wordnet/imagenet100-hierarchy.json', 'bench/moco-worker.js']) {
      expect(existsSync(join(build, file)), file).toBe(true);
    }
  }, 120_000);

  it('finds the project root and its entries from compiled code', async () => {
    const entry = await ensureBuild();
    const location = pathToFileURL(join(dirname(dirname(entry)), 'shared/code-location.js')).href;
    const script = `const m = await import(${JSON.stringify(location)}); console.log(JSON.stringify({ compiled: m.COMPILED, root: m.PROJECT_ROOT, client: m.entryFile('client/main') }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const seen = JSON.parse(stdout) as { compiled: boolean; root: string; client: string };
    expect(seen.compiled).toBe(true);
    expect(seen.root).toBe(PROJECT_ROOT);
    expect(seen.client).toBe(join(dirname(dirname(entry)), 'client/main.js'));
  }, 60_000);

  it('runs the CLI compiled, and from the sources when asked', async () => {
    const bin = join(ROOT, 'bin/streamssl.mjs');
    for (const env of [{}, { STREAMSSL_RUN_SOURCES: '1' }]) {
      const { stdout } = await run(process.execPath, [bin, 'client', '--help'], { env: { ...process.env, ...env } });
      expect(stdout).toMatch(/--server <url>/);
    }
  }, 120_000);
});
