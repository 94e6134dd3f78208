/**
 * What a data worker thread (./pipeline-worker.ts) starts from.
 *
 * Compiled, the worker module is a .js file beside this one. From the TypeScript sources
 * (tsx, vitest) Node cannot load it by itself, and on Node 20 tsx's hooks never reach
 * worker threads. The worker module and what it imports (plain JS: the augmentations,
 * the seeded random numbers) are then bundled once per process by esbuild into one ES
 * module, which each worker loads from a data: URL. A worker that registered tsx in its
 * own thread and compiled the same files there took about 0.3 s to start, once per
 * worker and pipeline: half the time of a short training task run from the sources.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { COMPILED } from '../../shared/code-location.js';

let bundled: URL | null = null;

/** The URL a data worker is started from. */
export function dataWorkerScript(): URL {
  if (COMPILED) return new URL('./pipeline-worker.js', import.meta.url);
  bundled ??= bundleFromSources();
  return bundled;
}

function bundleFromSources(): URL {
  // Only the sources need esbuild (a dependency the compiled client never loads).
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = buildSync({
    entryPoints: [fileURLToPath(new URL('./pipeline-worker.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  });
  return new URL(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].contents).toString('base64')}`);
}
