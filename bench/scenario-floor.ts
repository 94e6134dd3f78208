/**
 * The least wall time a scenario's run can take on this machine: its planned steps and
 * evaluations (./scenario-work.ts) at the paces measured here, spread evenly over the
 * cores. A wall-time target below it needs less work or a faster machine, not a better
 * schedule; what a run takes above it is the rest (start-up, input pipelines, hand-offs,
 * the coordinator, cores left idle).
 *
 *   npx tsx bench/scenario-floor.ts scenarios/quickstart.json [--set key=value ...] [--cores N] [--seconds S] [--backend B] [--json] [--quick]
 *
 * Each measurement runs in its own process, with the clients' allocator and V8 settings,
 * one after the other: the stream plan; the step alone on the machine; the step with one
 * copy per core at once (cores share caches and memory: when all are busy each step is
 * slower); two evaluations of the random-init encoder, the second kept (the first pays
 * for the process's first convolutions). Two floors come of them: with the step's pace
 * when all cores are busy, what the machine allows; and with the fastest pace measured (the
 * step alone, or a copy that ran faster: short loops are noisy), a bound no schedule can beat.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { entryFile } from '../shared/code-location.js';
import { BACKEND_NAMES, loadScenario } from '../shared/scenario.js';
import { RESULT_PREFIX, startClientLikeChild, stopChild } from './child.js';
import { allAtOnce, windowOverlap } from './moco-copies.js';
import { flagValue, parseCount, parseSeconds } from './options.js';
import type { EvalMeasurement, PlanMeasurement, StepsMeasurement } from './scenario-floor-worker.js';
import { floorSeconds, scenarioWork, type ScenarioWork } from './scenario-work.js';

export interface FloorReport {
  scenario: string;
  backend: string;
  cores: number;
  work: ScenarioWork;
  /** The step alone on the machine. */
  alone: StepsMeasurement;
  /** One copy per core at once; `overlap`: share of the longest timed loop during which all ran. */
  copies: { stepMs: number[]; overlap: number };
  /** The evaluation kept (the last), and every one measured. */
  evalSeconds: number;
  evaluations: number[];
  /** Seconds: all cores busy (the copies' mean step) and the strict bound (the fastest step measured, alone or a copy). */
  floorSeconds: number;
  strictFloorSeconds: number;
}

interface FloorOptions {
  file: string;
  sets: string[];
  /** As `streamssl client --backend`: the clients' default is auto. */
  backend: string;
  cores: number;
  seconds: number;
  quick: boolean;
  log: (line: string) => void;
}

const positive = (x: unknown) => typeof x === 'number' && x > 0 && Number.isFinite(x);
const positives = (x: unknown) => Array.isArray(x) && x.length > 0 && x.every(positive);

/** What each kind of measurement prints. */
interface Measurements {
  plan: PlanMeasurement;
  steps: StepsMeasurement;
  eval: EvalMeasurement;
}

/** What each measurement's result must hold, checked before any figure of it is used. */
const CHECKS: { [K in keyof Measurements]: (r: Measurements[K]) => boolean } = {
  plan: (r) => positives(r.chunkSizes),
  steps: (r) => positive(r.stepMs) && positive(r.steps) && typeof r.timedFromMs === 'number' && typeof r.timedToMs === 'number',
  eval: (r) => positives(r.seconds),
};

async function measure<K extends keyof Measurements>(o: FloorOptions, what: K, extra: string[] = []): Promise<Measurements[K]> {
  const args = ['--scenario', o.file, ...o.sets.flatMap((s) => ['--set', s]), '--backend', o.backend, '--measure', what, ...extra];
  const child = startClientLikeChild(entryFile('bench/scenario-floor-worker'), args);
  try {
    const result = (await child.line(RESULT_PREFIX)) as Measurements[K];
    if (typeof result !== 'object' || result === null || !(CHECKS[what] as (r: unknown) => boolean)(result)) {
      throw new Error(`scenario-floor worker (${what}): unexpected result ${JSON.stringify(result).slice(0, 200)}`);
    }
    await child.exited;
    return result;
  } finally {
    await stopChild(child);
  }
}

async function measureFloor(o: FloorOptions): Promise<FloorReport> {
  const scenario = loadScenario(o.file, o.sets);
  o.log(`floor: planning ${scenario.name} ...`);
  const plan = await measure(o, 'plan');
  const work = scenarioWork(scenario, plan.chunkSizes);
  const stepArgs = o.quick ? ['--warmup', '1', '--steps', '2'] : ['--warmup', '5', '--seconds', String(o.seconds)];
  o.log('floor: the step alone ...');
  const alone = await measure(o, 'steps', stepArgs);
  o.log(`floor: the step, ${o.cores} at once ...`);
  const copies = await allAtOnce(o.cores, () => measure(o, 'steps', stepArgs));
  o.log('floor: evaluations ...');
  const evals = await measure(o, 'eval', ['--evaluations', o.quick ? '1' : '2']);
  const evalSeconds = evals.seconds[evals.seconds.length - 1];
  const copyMs = copies.map((c) => c.stepMs);
  const meanCopyMs = copyMs.reduce((a, b) => a + b, 0) / copyMs.length;
  return {
    scenario: scenario.name,
    backend: alone.backend,
    cores: o.cores,
    work,
    alone,
    copies: { stepMs: copyMs, overlap: windowOverlap(copies) },
    evalSeconds,
    evaluations: evals.seconds,
    floorSeconds: floorSeconds(work, { stepMs: meanCopyMs, evalSeconds, cores: o.cores }),
    // A bound by construction: no measured pace is faster than the one it takes.
    strictFloorSeconds: floorSeconds(work, { stepMs: Math.min(alone.stepMs, ...copyMs), evalSeconds, cores: o.cores }),
  };
}

function formatFloor(r: FloorReport): string {
  const w = r.work;
  const arms = w.arms.map((a) => `${a.name} ${a.steps} steps, ${a.evaluations} scored`).join('; ');
  return [
    `${r.scenario} on ${r.cores} core(s), ${r.backend}: ${w.steps} steps and ${w.evaluations} evaluations${w.seeds > 1 ? ` over ${w.seeds} seeds` : ''} (${arms}; and the random-init floor)`,
    `  step alone:            ${r.alone.stepMs.toFixed(1)} ms (${r.alone.steps} steps)`,
    `  step, ${r.cores} at once:       ${r.copies.stepMs.map((ms) => ms.toFixed(1)).join(' / ')} ms (timed loops overlapping ${(r.copies.overlap * 100).toFixed(0)}%)`,
    `  evaluation:            ${r.evalSeconds.toFixed(2)} s (measured ${r.evaluations.map((s) => s.toFixed(2)).join(', ')} s)`,
    `  floor, cores all busy: ${r.floorSeconds.toFixed(1)} s`,
    `  floor, fastest step:   ${r.strictFloorSeconds.toFixed(1)} s`,
    '  (the run adds start-up, input pipelines, hand-offs, the coordinator and idle cores)',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true, default: [] },
      cores: { type: 'string' },
      seconds: { type: 'string', default: '10' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new Error('usage: bench/scenario-floor.ts SCENARIO.json [--set key=value ...] [--cores N] [--seconds S] [--backend B] [--json] [--quick]');
  const cores = values.cores === undefined ? availableParallelism() : flagValue('--cores', parseCount, values.cores);
  const seconds = flagValue('--seconds', parseSeconds, values.seconds);
  if (!(BACKEND_NAMES as readonly string[]).includes(values.backend)) throw new Error(`--backend: expected one of ${BACKEND_NAMES.join(', ')}, got "${values.backend}"`);
  const report = await measureFloor({
    file: positionals[0],
    sets: values.set,
    backend: values.backend,
    cores,
    seconds,
    quick: values.quick,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${values.json ? JSON.stringify(report) : formatFloor(report)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`scenario-floor: ${err.message}\n`);
  process.exit(1);
});
