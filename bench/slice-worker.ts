/**
 * Child process of the bench's interleaved thread scaling (./interleave.ts): one backend
 * on one thread count, the configuration's training loop (./moco-loop.ts) kept warm and
 * stepped in slices on request (./slice-protocol.ts).
 *
 *   node --import tsx bench/slice-worker.ts --backend wasm --threads 1 --widths 16,32,64,128 --batch 64 \
 *     [--warmup 2] [--data-workers N] [--batch-norm composed|fused] [--convolutions direct|winograd]
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { selectBackend } from '../client/backend.js';
import { useConvolutions } from '../client/engine/convolutions.js';
import { RESULT_PREFIX } from './child.js';
import { LOOP_FLAG_OPTIONS, readLoopFlags } from './loop-flags.js';
import { openMocoLoop } from './moco-loop.js';
import { readRequest, type SliceReady, type SliceResult } from './slice-protocol.js';

const reply = (x: SliceReady | SliceResult) => process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(x)}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: LOOP_FLAG_OPTIONS });
  const { backend, threads, widths, batch, warmup, dataWorkers, batchNorm, convolutions } = readLoopFlags(values);

  const choice = await selectBackend(backend, { threads });
  useConvolutions(convolutions);
  const loop = openMocoLoop({ widths, batch, dataWorkers, batchNorm });
  try {
    const warmStepMs = await loop.warmUp(warmup);
    reply({ threadsActual: choice.threads, warmStepMs, backend: choice.runs });
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      let steps: number;
      try {
        steps = readRequest(line);
      } catch (err) {
        throw new Error(`bad request ${JSON.stringify(line.slice(0, 200))}: ${(err as Error).message}`, { cause: err });
      }
      const start = performance.now();
      for (let s = 0; s < steps; s++) await loop.step();
      const ms = performance.now() - start;
      const fromMs = performance.timeOrigin + start;
      reply({ steps, fromMs, toMs: fromMs + ms, imgPerSec: (steps * batch) / (ms / 1000) });
    }
  } finally {
    await loop.dispose();
  }
}

main().then(
  // Thread pools and pipeline workers must not keep a finished worker alive.
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`slice worker: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
