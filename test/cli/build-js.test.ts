/**
 * The compiled build bin/streamssl.mjs runs (scripts/build-js.mjs): it is named by the
 * sources' fingerprint, holds every module and the files modules read beside themselves,
 * and compiled code finds the project's files (the native addon, the sources, package.json)
 * and its child processes' entries in the same build (so do the sources, when a build of
 * them is there), reports the code version it was
 * built from, and gets TensorFlow.js's gradients without the union package.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { currentBuild, ensureBuild, sourceFingerprint } from '../../scripts/build-js.mjs';
import { codeVersion } from '../../server/run/code-version.js';
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

  it('starts child processes from the build of the sources when the sources run, unless told to run the sources', async () => {
    const entry = await ensureBuild();
    const location = pathToFileURL(join(ROOT, 'shared/code-location.ts')).href;
    const script = `const m = await import(${JSON.stringify(location)}); console.log(m.entryFile('client/main'));`;
    const child = async (env: NodeJS.ProcessEnv) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env } });
      return stdout.trim();
    };
    expect(await child({})).toBe(join(dirname(dirname(entry)), 'client/main.js'));
    expect(await child({ STREAMSSL_RUN_SOURCES: '1' })).toBe(join(ROOT, 'client/main.ts'));
  }, 60_000);

  it('runs the CLI compiled, and from the sources when asked', async () => {
    const bin = join(ROOT, 'bin/streamssl.mjs');
    for (const env of [{}, { STREAMSSL_RUN_SOURCES: '1' }]) {
      const { stdout } = await run(process.execPath, [bin, 'client', '--help'], { env: { ...process.env, ...env } });
      expect(stdout).toMatch(/--server <url>/);
    }
  }, 120_000);

  it('reports the code version its build recorded, the same as the sources give', async () => {
    const entry = await ensureBuild();
    const module = pathToFileURL(join(dirname(dirname(entry)), 'server/run/code-version.js')).href;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(module)}); console.log(m.codeVersion());`]);
    expect(stdout.trim()).toBe(codeVersion());
    expect(codeVersion()).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{16}$/);
  }, 60_000);

  it('registers the gradients and chained ops from its own bundle: the same values, and no union package loaded', async () => {
    const entry = await ensureBuild();
    const backend = pathToFileURL(join(dirname(dirname(entry)), 'client/backend.js')).href;
    // Convolution, batch-norm arithmetic, ReLU, matMul and a log-softmax: kernels whose
    // gradients a training step takes; and a chained op (`.sum()`).
    const body = `
      const x = tf.tensor4d([0.3, -1.2, 2, 0.7, -0.4, 1.1, 0.9, -2.2, 1.5, 0.1, -0.6, 0.8], [1, 2, 3, 2]);
      const w = tf.tensor4d([0.5, -0.3, 0.2, 0.8, -1, 0.4, 0.6, -0.7], [2, 2, 2, 1]);
      const f = (a, b) => {
        const y = tf.conv2d(a, b, 1, 'same');
        const centred = tf.sub(y, tf.mean(y));
        const normed = tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred)), 1e-5)));
        const h = tf.relu(tf.reshape(normed, [2, 3]));
        return tf.sum(tf.mul(tf.logSoftmax(tf.matMul(h, h, false, true)), tf.exp(tf.neg(tf.abs(h)).sum())));
      };
      const [dx, dw] = tf.grads(f)([x, w]);
      const values = [...dx.dataSync(), ...dw.dataSync()];`;
    const script = `
      const { selectBackend } = await import(${JSON.stringify(backend)});
      const tf = await import('@tensorflow/tfjs-core');
      const { createRequire } = await import('node:module');
      await selectBackend('cpu');
      ${body}
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('@tensorflow'));
      console.log(JSON.stringify({ values, loaded }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    const compiled = JSON.parse(stdout.trim().split('\n').pop()!) as { values: number[]; loaded: string[] };
    expect(compiled.loaded.some((p) => p.includes('tfjs-core'))).toBe(true);
    expect(compiled.loaded.filter((p) => /@tensorflow\/tfjs(\/|-layers|-converter|-data|-backend-webgl)/.test(p))).toEqual([]);

    await tf.setBackend('cpu');
    const inProcess = new Function('tf', `${body}; return values;`)(tf) as number[];
    expect(compiled.values).toHaveLength(inProcess.length);
    expect(inProcess.some((v) => v !== 0)).toBe(true);
    compiled.values.forEach((v, i) => expect(v).toBeCloseTo(inProcess[i], 5));
  }, 60_000);
});
