/**
 * MoCo-v2 training-step throughput on the wasm backend with 1 vs N threads.
 *
 *   npx tsx bench/threads.ts [--threads 1,2] [--repeats 3] [--steps 10] [--batch 64]
 *
 * Each measurement runs in its own process (tfjs' backend is process-global and the
 * thread count is fixed when wasm starts), thread counts alternating so that load from
 * other work on the machine hits them alike. Model: ResNet-style encoder, widths
 * 16-32-64-128, 2 blocks per stage, stem stride 1, 32x32x3 inputs, queue 4096, the
 * scenario defaults otherwise. Inputs are fixed seeded noise (no augmentation): this
 * times the step, not the data pipeline. Reports img/s (median over repeats) over all
 * timed steps and from the fastest step, each with its ratio to the first thread count,
 * CPU time / wall time of the timed steps (about N when the N threads are really busy),
 * and the largest loss difference between thread counts (same seeds), and how the backend
 * threads (its reason string). Where the oneDNN addon is built, wasm uses it and oneDNN's
 * threads instead of the threaded wasm build: `STREAMSSL_ONEDNN=0` measures the latter.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../client/backend.js';
import { MocoV2 } from '../client/ssl/moco-v2.js';
import { Sgd } from '../client/optim/sgd.js';
import { Random } from '../shared/random.js';
import { nodeArgsFor } from '../server/clients/node-process.js';

interface Args {
  threads: number[];
  repeats: number;
  steps: number;
  warmup: number;
  batch: number;
  child?: number;
}

interface Measurement {
  threads: number;
  imagesPerSecond: number;
  /** From the fastest single step: less sensitive to other work on the machine. */
  bestImagesPerSecond: number;
  cpuPerWall: number;
  losses: number[];
  reason: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { threads: [1, 2], repeats: 3, steps: 10, warmup: 2, batch: 64 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1] ?? ''];
    if (key === '--threads') args.threads = value.split(',').map(Number);
    else if (key === '--repeats') args.repeats = Number(value);
    else if (key === '--steps') args.steps = Number(value);
    else if (key === '--warmup') args.warmup = Number(value);
    else if (key === '--batch') args.batch = Number(value);
    else if (key === '--child') args.child = Number(value);
    else throw new Error(`unknown argument ${key}`);
  }
  return args;
}

/** One process: the wasm backend on `threads` threads, warm-up then timed steps. */
async function measure(threads: number, a: Args): Promise<Measurement> {
  const choice = await selectBackend('wasm', { threads });
  const encoder = { backbone: { inputChannels: 3, widths: [16, 32, 64, 128], blocksPerStage: 2, stemStride: 1 as const }, hiddenDim: 512, outputDim: 128, init: 'he-fan-out' as const };
  const moco = new MocoV2({ encoder, temperature: 0.2, queueSize: 4096, momentum: 0.99, bnGroups: 4 }, 7);
  const sgd = new Sgd({ momentum: 0.9, weightDecay: 5e-4 });
  const rng = new Random(11);
  const view1 = tf.randomNormal([a.batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const view2 = tf.tidy(() => tf.add(view1, tf.randomNormal(view1.shape, 0, 0.1, 'float32', 2))) as tf.Tensor4D;
  const losses: number[] = [];
  for (let i = 0; i < a.warmup; i++) losses.push(moco.step({ view1, view2 }, sgd, 0.06, rng));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let fastest = Infinity;
  // step() reads the loss back, so each step has finished when it returns.
  for (let i = 0; i < a.steps; i++) {
    const s0 = performance.now();
    losses.push(moco.step({ view1, view2 }, sgd, 0.06, rng));
    fastest = Math.min(fastest, (performance.now() - s0) / 1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  tf.dispose([view1, view2]);
  moco.dispose();
  sgd.dispose();
  return {
    threads: choice.threads,
    imagesPerSecond: (a.steps * a.batch) / seconds,
    bestImagesPerSecond: a.batch / fastest,
    cpuPerWall: (cpu.user + cpu.system) / 1e6 / seconds,
    losses,
    reason: choice.reason,
  };
}

function runChild(threads: number, argv: string[]): Measurement {
  const out = spawnSync(process.execPath, [...nodeArgsFor(fileURLToPath(import.meta.url)), ...argv, '--child', String(threads)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`child with ${threads} thread(s) failed (exit ${out.status})`);
  const line = out.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Measurement;
}

const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const a = parseArgs(argv);
  if (a.child !== undefined) {
    process.stdout.write(`${JSON.stringify(await measure(a.child, a))}\n`);
    process.exit(0); // the wasm thread pool must not keep the child alive
  }
  const runs = new Map<number, Measurement[]>(a.threads.map((t) => [t, []]));
  for (let r = 0; r < a.repeats; r++) {
    for (const t of a.threads) {
      const m = runChild(t, argv);
      if (m.threads !== t) console.warn(`asked for ${t} thread(s), got ${m.threads}: ${m.reason}`);
      runs.get(t)?.push(m);
      console.log(`run ${r + 1}: ${t} thread(s): ${m.imagesPerSecond.toFixed(1)} img/s (best step ${m.bestImagesPerSecond.toFixed(1)}), cpu/wall ${m.cpuPerWall.toFixed(2)}`);
    }
  }
  const base = median((runs.get(a.threads[0]) ?? []).map((m) => m.imagesPerSecond));
  const baseBest = median((runs.get(a.threads[0]) ?? []).map((m) => m.bestImagesPerSecond));
  const ref = runs.get(a.threads[0])?.[0]?.losses ?? [];
  console.log(`\nMoCo-v2 step, batch ${a.batch}, ${a.steps} timed steps after ${a.warmup} warm-up, median of ${a.repeats}:`);
  for (const [t, ms] of runs) {
    const ips = median(ms.map((m) => m.imagesPerSecond));
    const best = median(ms.map((m) => m.bestImagesPerSecond));
    const diff = Math.max(...ms.flatMap((m) => m.losses.map((l, i) => Math.abs(l - (ref[i] ?? NaN)))));
    console.log(`  ${t} thread(s), ${ms[0]?.reason ?? ''}:`);
    console.log(
      `    ${ips.toFixed(1)} img/s  x${(ips / base).toFixed(2)}  best step ${best.toFixed(1)} img/s  x${(best / baseBest).toFixed(2)}` +
      `  cpu/wall ${median(ms.map((m) => m.cpuPerWall)).toFixed(2)}  max |loss - loss(${a.threads[0]} thread)| ${diff.toExponential(1)}`);
  }
  console.log(`  losses (${a.threads[0]} thread): ${ref.map((l) => l.toFixed(5)).join(' ')}`);
}

await main();
