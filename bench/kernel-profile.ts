/**
 * Time per tfjs kernel of MoCo-v2 steps on the wasm backend (with the oneDNN
 * kernels when the addon loads): every registered wasm kernelFunc is wrapped
 * in a timing shim, then a few steps run. Prints calls, total ms and share of
 * the kernel time per kernel name, largest first, marking which run natively.
 * Shares, not absolute times, are what it is for (it works on a busy machine).
 *
 *   npx tsx bench/kernel-profile.ts [--config small] [--steps 4] [--threads 1] [--wasm-only] [--batch-norm composed|fused] [--convolutions direct|winograd]
 *   npx tsx bench/kernel-profile.ts --scenario scenarios/quickstart.json [--set key.path=value ...] [--steps 4] [--threads 1] [--wasm-only]
 *   npx tsx bench/kernel-profile.ts ... --threads 1,2 [--pairs 2]
 *
 * With several thread counts it profiles each in its own process (the thread count is
 * fixed when the backend starts), in pairs of alternating order (1, 2, then 2, 1, ...) so a
 * drifting machine favours neither, and prints each kernel's ms a step at every count
 * with the first count's over each other (./kernel-compare.ts): where a second thread
 * gains and where it does not. `--json` prints one profile as a result line (what those
 * processes do).
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
import { entryFile } from '../shared/code-location.js';
import { RESULT_PREFIX, startChild } from './child.js';
import { alternatingPairs, childResult } from './alternating-pairs.js';
import { compareProfiles, comparisonText, type KernelComparison, type KernelProfile } from './kernel-compare.js';
import { flagValue, parseCount } from './options.js';

interface Tally { calls: number; ms: number; native: boolean }

const OPTIONS = {
  config: { type: 'string', default: 'small' },
  steps: { type: 'string', default: '4' },
  threads: { type: 'string', default: '1' },
  pairs: { type: 'string', default: '2' },
  'wasm-only': { type: 'boolean', default: false },
  'batch-norm': { type: 'string' },
  convolutions: { type: 'string' },
  scenario: { type: 'string' },
  set: { type: 'string', multiple: true, default: [] as string[] },
  json: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** This process's kernel profile at `threads`. */
async function profile(values: Values, threads: number): Promise<KernelProfile> {
  const choice = await selectBackend('wasm', { threads });
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
  const steps = flagValue('--steps', parseCount, values.steps);
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
  const rows = [...tally].filter(([, t]) => t.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
  const kernels = rows.map(([name, t]) => ({ name, native: t.native, callsPerStep: t.calls / counted, msPerStep: t.ms / counted }));
  const kernelMs = kernels.reduce((sum, k) => sum + k.msPerStep, 0);
  console.error(`${label}, threads ${choice.threads}: wall incl. setup ${(performance.now() - t0).toFixed(0)} ms`);
  return { label, threads: choice.threads, steps, stepMs, kernelMs, kernels };
}

function profileText(pr: KernelProfile): string[] {
  return [
    `${pr.label}, threads ${pr.threads}, ${pr.steps} steps: ${pr.stepMs.toFixed(1)} ms/step, kernels ${pr.kernelMs.toFixed(1)} ms/step`,
    ...pr.kernels.map((k) => `${k.name.padEnd(24)} ${k.native ? 'native' : 'wasm  '} ${String(Math.round(k.callsPerStep)).padStart(5)} calls ${k.msPerStep.toFixed(2).padStart(9)} ms ${((100 * k.msPerStep) / pr.kernelMs).toFixed(1).padStart(5)} %`),
  ];
}

/** The flags of this command that set up what is profiled, for the processes of a comparison. */
function profileArgs(values: Values): string[] {
  return [
    '--config', values.config!, '--steps', values.steps!,
    ...(values['wasm-only'] ? ['--wasm-only'] : []),
    ...(values['batch-norm'] !== undefined ? ['--batch-norm', values['batch-norm']] : []),
    ...(values.convolutions !== undefined ? ['--convolutions', values.convolutions] : []),
    ...(values.scenario !== undefined ? ['--scenario', values.scenario] : []),
    ...values.set!.flatMap((s) => ['--set', s]),
  ];
}

/** One process per profile, thread counts in alternating order pair by pair. */
async function compareThreads(values: Values, threads: number[], pairs: number): Promise<KernelComparison> {
  const byPair = await alternatingPairs(threads, pairs, (t) =>
    childResult<KernelProfile>(startChild(entryFile('bench/kernel-profile'), [...profileArgs(values), '--threads', String(t), '--json']), `${t} threads`),
  );
  return compareProfiles(threads, byPair);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS });
  const threads = [...new Set(values.threads!.split(',').map((t) => flagValue('--threads', parseCount, t)))];
  if (threads.length > 1) {
    const pairs = flagValue('--pairs', parseCount, values.pairs);
    console.log(comparisonText(await compareThreads(values, threads, pairs)).join('\n'));
    return;
  }
  const pr = await profile(values, threads[0]);
  console.log(values.json ? `${RESULT_PREFIX}${JSON.stringify(pr)}` : profileText(pr).join('\n'));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
