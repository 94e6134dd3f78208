/**
 * What a data-parallel step would gain: a scenario's training step (its model, method,
 * batch, optimizer and kernels, on random views: ./scenario-steps.ts) run three ways,
 * each in its own client-like process, in pairs of alternating order:
 *
 * - the whole batch on one thread;
 * - the whole batch on N OpenMP threads (how clients use several threads today);
 * - N replicas: worker threads with their own wasm heaps, one thread each, each on its
 *   part of the batch (and its batch-norm groups), averaging gradients before one
 *   identical update (./data-parallel/). The replicas' weights are checked equal after
 *   the steps.
 *
 *   npx tsx bench/data-parallel.ts --scenario scenarios/quickstart.json [--set key.path=value ...]
 *       [--replicas 2] [--steps 30] [--warmup 5] [--pairs 3] [--json]
 *
 * Two threads of one step meet every pass over memory together, and each kernel's
 * output crosses to the other core for the next; two replicas keep their data on their
 * core and overlap one's memory-bound passes with the other's compute. This measures
 * whether that is worth building into clients.
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../client/backend.js';
import { loadScenario, type Scenario } from '../shared/scenario.js';
import { entryFile } from '../shared/code-location.js';
import { RESULT_PREFIX, startClientLikeChild } from './child.js';
import { alternatingPairs, childResult } from './alternating-pairs.js';
import { flagValue, parseCount, parseNonNegative } from './options.js';
import { scenarioSteps } from './scenario-steps.js';
import { runReplicas } from './data-parallel/replicas.js';
import { replicaScenario } from './data-parallel/replica-scenario.js';
import { modeArg, parseMode, summarizeModes, summaryText, type ModeResult, type ModeSummary, type StepMode } from './data-parallel/compare.js';

const OPTIONS = {
  scenario: { type: 'string' },
  set: { type: 'string', multiple: true, default: [] as string[] },
  replicas: { type: 'string', default: '2' },
  steps: { type: 'string', default: '30' },
  warmup: { type: 'string', default: '5' },
  pairs: { type: 'string', default: '3' },
  mode: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

const SEED = 1;

function scenarioOf(values: Values): Scenario {
  if (values.scenario === undefined) throw new Error('--scenario is required: the scenario whose step is measured');
  return loadScenario(values.scenario, values.set);
}

/** This process's run of `mode`. */
async function measureMode(values: Values, mode: StepMode): Promise<ModeResult> {
  const scenario = scenarioOf(values);
  const warmupSteps = flagValue('--warmup', parseNonNegative, values.warmup);
  const steps = flagValue('--steps', parseCount, values.steps);
  if (mode.kind === 'replicas') {
    const r = await runReplicas(scenario, { replicas: mode.replicas, seed: SEED, warmupSteps, steps });
    return { mode, msPerStep: r.msPerStep, runs: r.runs };
  }
  const choice = await selectBackend('wasm', { threads: mode.threads });
  const run = scenarioSteps(scenario, { seed: SEED });
  try {
    if (warmupSteps > 0) run.run(warmupSteps);
    return { mode, msPerStep: run.run(steps), runs: [choice.runs] };
  } finally {
    run.dispose();
  }
}

/** The flags that set up what is measured, for the processes of the comparison. */
function measureArgs(values: Values): string[] {
  return [
    '--scenario', values.scenario!, '--steps', values.steps!, '--warmup', values.warmup!,
    ...values.set!.flatMap((s) => ['--set', s]),
  ];
}

/** One process per mode, the modes' order reversed every other pair. */
async function compareModes(values: Values): Promise<{ label: string; summaries: ModeSummary[] }> {
  const scenario = scenarioOf(values);
  const replicas = flagValue('--replicas', parseCount, values.replicas);
  if (replicas < 2) throw new Error(`--replicas must be at least 2, got ${replicas}`);
  replicaScenario(scenario, replicas); // refuses a scenario the replicas cannot split, before any process runs
  const pairs = flagValue('--pairs', parseCount, values.pairs);
  const modes: StepMode[] = [{ kind: 'threads', threads: 1 }, { kind: 'threads', threads: replicas }, { kind: 'replicas', replicas }];
  const byPair = await alternatingPairs(modes, pairs, (mode) =>
    childResult<ModeResult>(startClientLikeChild(entryFile('bench/data-parallel'), [...measureArgs(values), '--mode', modeArg(mode), '--json']), modeArg(mode)),
  );
  const { batchSize } = scenario.training;
  return { label: `${scenario.name} (${scenario.ssl.method}, batch ${batchSize})`, summaries: summarizeModes(byPair, batchSize) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS });
  if (values.mode !== undefined) {
    const result = await measureMode(values, parseMode(values.mode));
    console.log(values.json ? `${RESULT_PREFIX}${JSON.stringify(result)}` : JSON.stringify(result));
    return;
  }
  const { label, summaries } = await compareModes(values);
  console.log(values.json ? `${RESULT_PREFIX}${JSON.stringify({ label, summaries })}` : summaryText(label, summaries).join('\n'));
}

main().then(() => process.exit(0), (err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
