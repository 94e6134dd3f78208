/**
 * Time per tfjs kernel of MoCo-v2 steps on the wasm backend (with the oneDNN
 * kernels when the addon loads): every registered wasm kernelFunc is wrapped
 * in a timing shim, then a few steps run. Prints calls, total ms and share of
 * the kernel time per kernel name, largest first, marking which run natively.
 * Shares, not absolute times, are what it is for (it works on a busy machine).
 *
 *   npx tsx bench/kernel-profile.ts [--config small] [--steps 4] [--threads 1] [--wasm-only] [--batch-norm composed|fused] [--convolutions direct|winograd]
 */
import { parseArgs } from 'node:util';
import { getKernelsForBackend, registerKernel, unregisterKernel, type KernelFunc } from '@tensorflow/tfjs-core';
import { selectBackend } from '../client/backend.js';
import { registerNativeKernels, unregisterNativeKernels } from '../client/kernels/native/register.js';
import { MODEL_CONFIGS, parseBatchNorm, parseConvolutions, type ConfigName } from './configs.js';
import { useConvolutions } from '../client/engine/convolutions.js';
import { measureMoco } from './moco-measure.js';

interface Tally { calls: number; ms: number; native: boolean }

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'small' },
      steps: { type: 'string', default: '4' },
      threads: { type: 'string', default: '1' },
      'wasm-only': { type: 'boolean', default: false },
      'batch-norm': { type: 'string', default: 'composed' },
      convolutions: { type: 'string', default: 'direct' },
    },
  });
  const choice = await selectBackend('wasm', { threads: Number(values.threads) });
  unregisterNativeKernels(); // selectBackend registered them: note tfjs's own first
  const before = new Map(getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
  if (!values['wasm-only']) {
    const reg = registerNativeKernels({ threads: choice.threads });
    if (!reg.ok) throw new Error(reg.reason);
  }
  const tally = new Map<string, Tally>();
  let counting = false;
  for (const k of getKernelsForBackend('wasm')) {
    const inner = k.kernelFunc;
    const t: Tally = { calls: 0, ms: 0, native: before.get(k.kernelName) !== inner };
    tally.set(k.kernelName, t);
    const timed: KernelFunc = (args) => {
      const t0 = performance.now();
      const out = inner(args);
      if (counting) {
        t.ms += performance.now() - t0;
        t.calls++;
      }
      return out;
    };
    unregisterKernel(k.kernelName, 'wasm');
    registerKernel({ ...k, kernelFunc: timed });
  }
  const { widths, batch } = MODEL_CONFIGS[values.config as ConfigName];
  const steps = Number(values.steps);
  const batchNorm = parseBatchNorm(values['batch-norm']);
  useConvolutions(parseConvolutions(values.convolutions));
  // The timed steps plus the one untimed step of the (empty) breakdown pass.
  const counted = steps + 1;
  await measureMoco({ widths: [...widths], batch, warmupSteps: 1, steps: 1, seconds: 1, breakdownSteps: 0, dataWorkers: 0, batchNorm });
  counting = true;
  const t0 = performance.now();
  const m = await measureMoco({ widths: [...widths], batch, warmupSteps: 0, steps, seconds: 1, breakdownSteps: 0, dataWorkers: 0, batchNorm });
  const wallMs = performance.now() - t0;
  counting = false;
  const rows = [...tally].filter(([, t]) => t.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, t]) => s + t.ms, 0);
  const stepMs = (m.seconds * 1000) / m.steps;
  console.log(`${values.config} batch ${batch}, threads ${choice.threads}, ${m.steps} steps: ${stepMs.toFixed(1)} ms/step, kernels ${(kernelMs / counted).toFixed(1)} ms/step (wall incl. setup ${wallMs.toFixed(0)} ms)`);
  for (const [name, t] of rows) {
    console.log(`${name.padEnd(24)} ${t.native ? 'native' : 'wasm  '} ${String(Math.round(t.calls / counted)).padStart(5)} calls ${(t.ms / counted).toFixed(2).padStart(9)} ms ${((100 * t.ms) / kernelMs).toFixed(1).padStart(5)} %`);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
