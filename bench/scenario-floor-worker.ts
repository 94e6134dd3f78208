/**
 * Child process of bench/scenario-floor.ts: one measurement of a scenario on one thread,
 * printed as one line, `RESULT_PREFIX` + JSON, on stdout. One process per measurement, as
 * a run gives each client its own.
 *
 *   node --import tsx bench/scenario-floor-worker.ts --scenario FILE [--set key=value ...] --measure plan|steps|eval
 *     [--backend auto] [--warmup N] [--seconds S] [--steps N] [--evaluations N]
 *
 * - plan: the stream's chunk sizes, as a run's plan task computes them.
 * - steps: `--warmup` steps, then steps until `--seconds` have passed (or `--steps` of
 *   them), of the scenario's step on random views (./scenario-steps.ts).
 * - eval: `--evaluations` evaluations of the random-init encoder, as a run scores a stage
 *   (its subsets, its kNN and probe, per chunk), one after the other in this process; the
 *   first pays for the process's first convolutions of each shape.
 */
import { parseArgs } from 'node:util';
import { createEngine } from '../client/engine/index.js';
import { loadScenario, splitSeedOf, type BackendName } from '../shared/scenario.js';
import { evalTaskFor } from '../server/schedule/eval-task.js';
import { RESULT_PREFIX } from './child.js';
import { flagValue, parseCount, parseNonNegative, parseSeconds } from './options.js';
import { scenarioSteps } from './scenario-steps.js';

export interface PlanMeasurement {
  chunkSizes: number[];
}

export interface StepsMeasurement {
  backend: string;
  /** Mean over the timed steps. */
  stepMs: number;
  steps: number;
  /** When the timed steps ran, ms since the epoch (./moco-copies.ts `windowOverlap`). */
  timedFromMs: number;
  timedToMs: number;
}

export interface EvalMeasurement {
  backend: string;
  /** Each evaluation's own seconds (features, kNN, probe), in order. */
  seconds: number[];
}

const MEASURES = ['plan', 'steps', 'eval'] as const;
type Measure = (typeof MEASURES)[number];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      measure: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      warmup: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '10' },
      steps: { type: 'string' },
      evaluations: { type: 'string', default: '2' },
    },
  });
  if (!values.scenario) throw new Error('--scenario: required');
  // Refused before a backend loads for it.
  if (!MEASURES.includes(values.measure as Measure)) throw new Error(`--measure: expected ${MEASURES.join(', ')}, got "${values.measure}"`);
  const scenario = loadScenario(values.scenario, values.set);
  const engine = await createEngine({ backend: values.backend as BackendName, threads: 1 });
  const backend = engine.backend.name;
  let result: PlanMeasurement | StepsMeasurement | EvalMeasurement;
  switch (values.measure as Measure) {
    case 'plan': {
      const summary = await engine.describeStream({ dataset: scenario.dataset, stream: scenario.stream, seed: splitSeedOf(scenario) });
      result = { chunkSizes: summary.chunks.map((c) => c.size) };
      break;
    }
    case 'steps': {
      const seconds = flagValue('--seconds', parseSeconds, values.seconds);
      const most = values.steps === undefined ? Infinity : flagValue('--steps', parseCount, values.steps);
      const warmup = flagValue('--warmup', parseNonNegative, values.warmup);
      const steps = scenarioSteps(scenario);
      if (warmup > 0) steps.run(warmup);
      const timedFromMs = Date.now();
      let taken = 0;
      let ms = 0;
      // One step at a time, so the loop ends on the clock whatever a step costs.
      while (taken < most && (taken === 0 || Date.now() - timedFromMs < seconds * 1000)) {
        ms += steps.run(1);
        taken++;
      }
      result = { backend, stepMs: ms / taken, steps: taken, timedFromMs, timedToMs: Date.now() };
      steps.dispose();
      break;
    }
    case 'eval': {
      const task = evalTaskFor(scenario, 'floor:eval');
      const seconds: number[] = [];
      for (let i = flagValue('--evaluations', parseCount, values.evaluations); i > 0; i--) seconds.push((await engine.evaluate(task, null)).seconds);
      result = { backend, seconds };
      break;
    }
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().then(
  // Thread pools and pipeline workers must not keep a finished measurement alive.
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`scenario-floor worker: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
