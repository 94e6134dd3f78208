/**
 * The metrics a client reports for a task, checked against that task before they are
 * journaled and reported: what the task says (the steps and the evaluation it asked for,
 * the stream's chunks, the test samples, the batches drawn) must agree, and every number
 * must be finite and in range. What it cannot know (the accuracies and losses themselves,
 * the number of samples a chunk held) stays the client's word.
 *
 * The shapes were checked where the result arrived (shared/protocol.ts's schemas); this
 * checks the values, for any pool of clients.
 */
import type { EvaluationSpec, StreamSpec } from '../../shared/scenario.js';
import type { EvalMetrics, TrainMetrics } from '../../shared/tasks.js';
import type { MetricsOf, WireTask } from '../../shared/protocol.js';

/**
 * Why `metrics` cannot be what a client computed for `task`, naming the field (e.g.
 * `metrics.eval.perChunk[2].chunk: ...`), or null when they can.
 */
export function reportedMetricsProblem<T extends WireTask>(task: T, metrics: MetricsOf<T>): string | null {
  if (task.kind === 'train') return trainProblem(task, metrics as TrainMetrics);
  if (task.kind === 'eval') return evalProblem(metrics as EvalMetrics, 'metrics', task.evaluation, task.stream);
  // The stream plan is checked against the scenario where it is taken (see run.ts).
  return null;
}

function trainProblem(task: Extract<WireTask, { kind: 'train' }>, m: TrainMetrics): string | null {
  if (m.steps !== task.steps) return `metrics.steps: the client reports ${m.steps} step(s), the task asked for ${task.steps}`;
  for (const key of ['lossFirst', 'lossLast'] as const) {
    // NaN is a diverged loss, reported as such; an infinite one is not a loss a step computes.
    if (typeof m[key] !== 'number' || m[key] === Infinity || m[key] === -Infinity) return `metrics.${key}: ${String(m[key])} is not a loss`;
  }
  for (const key of ['trainSeconds', 'imagesPerSecond', 'dataWaitSeconds'] as const) {
    const problem = nonNegative(m[key]);
    if (problem) return `metrics.${key}: ${problem}`;
  }
  // The chunks' sizes are the client's word too (the stream plan): this is only a count.
  const samplesProblem = count(m.samples, Number.MAX_SAFE_INTEGER, 'a safe integer');
  if (samplesProblem) return `metrics.samples: ${samplesProblem}`;
  const drawn = task.steps * task.batchSize;
  const replayProblem = count(m.replaySamplesUsed, drawn, `${task.steps} step(s) of batch ${task.batchSize} draw ${drawn}`);
  if (replayProblem) return `metrics.replaySamplesUsed: ${replayProblem}`;
  if (task.evaluation && !m.eval) return 'metrics.eval: missing, though the task asked for an evaluation';
  if (!task.evaluation && m.eval) return 'metrics.eval: present, though the task asked for no evaluation';
  // A train task's evaluation is scored per chunk of the task's stream.
  return task.evaluation && m.eval ? evalProblem(m.eval, 'metrics.eval', task.evaluation, task.data.stream) : null;
}

function evalProblem(m: EvalMetrics, path: string, evaluation: EvaluationSpec, stream: StreamSpec | undefined): string | null {
  for (const key of ['knnTop1', 'linearTop1'] as const) {
    const problem = accuracy(m[key]);
    if (problem) return `${path}.${key}: ${problem}`;
  }
  const seconds = nonNegative(m.seconds);
  if (seconds) return `${path}.seconds: ${seconds}`;
  // Per-chunk scores are optional (without them there is no accuracy matrix); given, they cover the stream.
  if (m.perChunk === undefined) return null;
  if (!stream) return `${path}.perChunk: present, though the task named no stream`;
  if (m.perChunk.length !== stream.chunks) return `${path}.perChunk: ${m.perChunk.length} entries for a stream of ${stream.chunks} chunk(s)`;
  const seen = new Set<number>();
  for (const [i, c] of m.perChunk.entries()) {
    const at = `${path}.perChunk[${i}]`;
    if (!Number.isInteger(c.chunk) || c.chunk < 0 || c.chunk >= stream.chunks) return `${at}.chunk: ${c.chunk} is not a chunk of the stream (0 to ${stream.chunks - 1})`;
    if (seen.has(c.chunk)) return `${at}.chunk: chunk ${c.chunk} is scored twice`;
    seen.add(c.chunk);
    for (const key of ['knnTop1', 'linearTop1'] as const) {
      const problem = accuracy(c[key]);
      if (problem) return `${at}.${key}: ${problem}`;
    }
    const samples = count(c.samples, evaluation.testSamples, `evaluation.testSamples is ${evaluation.testSamples}`);
    if (samples) return `${at}.samples: ${samples}`;
  }
  return null;
}

function accuracy(x: number): string | null {
  return typeof x === 'number' && x >= 0 && x <= 1 ? null : `${String(x)} is not an accuracy (a fraction in [0, 1])`;
}

function nonNegative(x: number): string | null {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? null : `${String(x)} is not a finite non-negative number`;
}

/** A count of at most `max` (`why` says where the bound comes from). */
function count(x: number, max: number, why: string): string | null {
  if (!Number.isSafeInteger(x) || x < 0) return `${String(x)} is not a count`;
  return x <= max ? null : `${x} is more than there can be (${why})`;
}
