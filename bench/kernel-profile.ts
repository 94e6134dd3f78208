/**
 * Time per tfjs kernel of MoCo-v2 steps on the wasm backend (with the oneDNN
 * kernels when the addon loads): every registered wasm kernelFunc is wrapped
 * in a timing shim, then a few steps run. Prints calls, total ms and share of
 * the kernel time per kernel name, largest first, marking which run natively.
 * Shares, not absolute times, are what it is for (it works on a busy machine).
 *
 *   npx tsx bench/kernel-profile.ts [--config small] [--steps 4] [--threads 1] [--wasm-only] [--batch-norm composed|fused] [--convolutions direct|winograd]
 *   npx tsx bench/kernel-profile.ts --scenario scenarios/quickstart.json [--set key.path=value ...] [--steps 4] [--threads 1] [--wasm-only]
 *
 * With --scenario it profiles that scenario's training step instead of a bench
 * configuration: its model, method, batch, optimizer, batch norm and convolutions, on
 * random views of its dataset's size (./scenario-steps.ts); --batch-norm and
 * --convolutions are then the scenario's (change them with --set).
 */
import { parseArgs } from 'node:util';
import { getKernelsForBackend, registerKernel, unregisterKernel, type KernelFunc } from '@tensorflow/tfjs-core';
import { selectBackend } from '../client/backend.js';
import { registerNativeKernels, unregisterNativeKernels } from '../client/kernels/native/register.js';
import { MODEL_CONFIGS, parseBatchNorm, parseConvolutions, type ConfigName } from './configs.js';
import { useConvolutions } from '../client/engine/convolutions.js';
import { measureMoco } from './moco-measure.js';
import { scenarioSteps } from './scenario-steps.js';
import { loadScenario } from '../shared/scenario.js';

interface Tally { calls: number; ms: number; native: boolean }

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'small' },
      steps: { type: 'string', default: '4' },
      threads: { type: 'string', default: '1' },
      'wasm-only': { type: 'boolean', default: false },
      'batch-norm': { type: 'string' },
      convolutions: { type: 'string' },
      scenario: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
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
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: expected a whole number of at least 1, got "${values.steps}"`);
  const t0 = performance.now();
  let label: string, stepMs: number, counted: number;
  if (values.scenario !== undefined) {
    for (const flag of ['batch-norm', 'convolutions'] as const) {
      if (values[flag] !== undefined) throw new Error(`--${flag} does not apply to --scenario: the scenario's own choice is profiled (change it with --set model.${flag === 'batch-norm' ? 'batchNorm' : 'convolutions'}=...)`);
    }
    const scenario = loadScenario(values.scenario, values.set);
    const run = scenarioSteps(scenario);
    run.run(2); // warm-up: plans, compiled kernels, the heap's growth
    counting = true;
    stepMs = run.run(steps);
    counting = false;
    run.dispose();
    counted = steps;
    label = `${scenario.name} (${scenario.ssl.method}, views ${run.shape.join('x')})`;
  } else {
    const { widths, batch } = MODEL_CONFIGS[values.config as ConfigName];
    const batchNorm = parseBatchNorm(values['batch-norm'] ?? 'composed');
    useConvolutions(parseConvolutions(values.convolutions ?? 'direct'));
    await measureMoco({ widths: [...widths], batch, warmupSteps: 1, steps: 1, seconds: 1, breakdownSteps: 0, dataWorkers: 0, batchNorm });
    counting = true;
    const m = await measureMoco({ widths: [...widths], batch, warmupSteps: 0, steps, seconds: 1, breakdownSteps: 0, dataWorkers: 0, batchNorm });
    counting = false;
    // The timed steps plus the one untimed step of the (empty) breakdown pass.
    counted = steps + 1;
    stepMs = (m.seconds * 1000) / m.steps;
    label = `${values.config} batch ${batch}`;
  }
  const wallMs = performance.now() - t0;
  const rows = [...tally].filter(([, t]) => t.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, t]) => s + t.ms, 0);
  console.log(`${label}, threads ${choice.threads}, ${steps} steps: ${stepMs.toFixed(1)} ms/step, kernels ${(kernelMs / counted).toFixed(1)} ms/step (wall incl. setup ${wallMs.toFixed(0)} ms)`);
  for (const [name, t] of rows) {
    console.log(`${name.padEnd(24)} ${t.native ? 'native' : 'wasm  '} ${String(Math.round(t.calls / counted)).padStart(5)} calls ${(t.ms / counted).toFixed(2).padStart(9)} ms ${((100 * t.ms) / kernelMs).toFixed(1).padStart(5)} %`);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
