/**
 * Checks the stream plan a client returns before the run journals it. The coordinator
 * holds no data, so the chunk sizes come from a client (a `plan` task); a journaled plan
 * fixes every stage of every arm for the rest of the run and every resume. A plan with
 * fewer chunks than the scenario left a run that could never finish; a chunk of 2^40
 * samples became a joint task of 274,877,907,052 steps. So the plan must fit the scenario
 * and stay within sane bounds, and when a second client is there, it must say the same.
 */
import type { StreamSummary } from '../../shared/protocol.js';
import type { Scenario } from '../../shared/scenario.js';
import { planArm } from '../schedule/index.js';

/** Bounds on a plan: far above any dataset this project trains on, far below what breaks it. */
export interface PlanLimits {
  /** Training (and test) samples. */
  maxSamples: number;
  maxClasses: number;
  /** Optimizer steps of one arm, summed over its stages. */
  maxStepsPerArm: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = { maxSamples: 1e9, maxClasses: 100_000, maxStepsPerArm: 1e8 };

/** A plan refused: its message names the client and the first problem. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/**
 * Throws `PlanError` when `plan` (from client `from`) does not fit `scenario`: chunk count
 * and ids, sizes summing to `trainCount`, counts and class ids within bounds, and the steps
 * each arm's mode would plan from it within `limits.maxStepsPerArm`.
 */
export function checkPlan(plan: StreamSummary, scenario: Scenario, from: string, limits: PlanLimits = DEFAULT_PLAN_LIMITS): void {
  const problem = planProblem(plan, scenario, limits);
  if (problem) throw new PlanError(`the stream plan from client ${from} is refused: ${problem}`);
}

function planProblem(plan: StreamSummary, scenario: Scenario, limits: PlanLimits): string | null {
  const { trainCount, testCount, numClasses, chunks } = plan;
  const count = (what: string, n: number, max: number, min = 0) =>
    Number.isSafeInteger(n) && n >= min && n <= max ? null : `${what} is ${n}, expected an integer in [${min}, ${max}]`;
  const bounds =
    count('trainCount', trainCount, limits.maxSamples, 1) ?? count('testCount', testCount, limits.maxSamples) ?? count('numClasses', numClasses, limits.maxClasses, 1);
  if (bounds) return bounds;
  if (chunks.length !== scenario.stream.chunks) return `it has ${chunks.length} chunk(s), the scenario's stream.chunks is ${scenario.stream.chunks}`;
  let sum = 0;
  for (const [k, chunk] of chunks.entries()) {
    if (chunk.id !== k) return `chunk ${k} has id ${chunk.id}; ids must be 0..${chunks.length - 1} in order`;
    const size = count(`chunk ${k}'s size`, chunk.size, trainCount, 1);
    if (size) return size;
    sum += chunk.size;
    if (chunk.classes.length > numClasses) return `chunk ${k} lists ${chunk.classes.length} classes, more than numClasses (${numClasses})`;
    const badClass = chunk.classes.find((c) => !Number.isInteger(c) || c < 0 || c >= numClasses);
    if (badClass !== undefined) return `chunk ${k} names class ${badClass}, outside 0..${numClasses - 1}`;
    const domains = plan.domains?.length ?? 0;
    const badDomain = chunk.domains?.find((d) => !Number.isInteger(d) || d < 0 || d >= domains);
    if (badDomain !== undefined) return `chunk ${k} names domain ${badDomain}, but the plan names ${domains} domain(s)`;
  }
  if (sum !== trainCount) return `its chunk sizes sum to ${sum}, but trainCount is ${trainCount}`;
  const chunkSizes = chunks.map((c) => c.size);
  for (const arm of scenario.arms) {
    let steps: number;
    try {
      steps = planArm({ scenario, arm, chunkSizes }).reduce((total, stage) => total + stage.steps, 0);
    } catch (err) {
      return `arm ${arm.name} cannot be planned from it: ${(err as Error).message}`;
    }
    if (steps > limits.maxStepsPerArm) return `arm ${arm.name} would take ${steps} optimizer steps, more than the limit of ${limits.maxStepsPerArm} steps per arm`;
  }
  return null;
}

/**
 * Where two clients' plans of the same stream differ, or null when they agree. Which files
 * a client could not read is its own affair (paths differ between machines); what the
 * stream is made of must not differ.
 */
export function planDifference(a: StreamSummary, b: StreamSummary): string | null {
  const fields = ['trainCount', 'testCount', 'numClasses', 'domains'] as const;
  for (const field of fields) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) return `${field}: ${JSON.stringify(a[field])} against ${JSON.stringify(b[field])}`;
  }
  if (a.chunks.length !== b.chunks.length) return `${a.chunks.length} chunks against ${b.chunks.length}`;
  for (const [k, chunk] of a.chunks.entries()) {
    const [x, y] = [JSON.stringify(chunk), JSON.stringify(b.chunks[k])];
    if (x !== y) return `chunk ${k}: ${x} against ${y}`;
  }
  return null;
}
