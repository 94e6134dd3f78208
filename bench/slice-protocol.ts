/**
 * How the bench steps a warm training process in slices (./interleave.ts): the process
 * warms up and writes a ready line; then, for each request line `{"steps": N}` on its
 * stdin, it runs N steps and writes when they ran and at what pace; it ends at the end
 * of its stdin. Every line it writes starts with `RESULT_PREFIX` (./child.ts). Spoken by
 * ./slice-worker.ts and by the PyTorch reference's `--serve` mode
 * (reference/moco_torch.py), whose replies are checked here like any peer's.
 */

/** Steps one request may ask for (a slice is seconds, not hours). */
export const MAX_SLICE_STEPS = 100_000;

/** The first line: the process is warm. */
export interface SliceReady {
  threadsActual: number;
  /** Milliseconds of the last warm-up step: sizes the first slice. */
  warmStepMs: number;
  /** What the process computes on, in its words (e.g. `BackendChoice.runs`); optional. */
  backend?: string;
}

/** One slice's steps. */
export interface SliceResult {
  steps: number;
  /** When the steps started and ended, in ms since the epoch (slices side by side are checked for overlap). */
  fromMs: number;
  toMs: number;
  imgPerSec: number;
}

function fields(x: unknown, names: readonly string[], who: string, what: string): Record<string, number> {
  if (typeof x !== 'object' || x === null) throw new Error(`${who}: ${what} is not an object: ${JSON.stringify(x)?.slice(0, 200)}`);
  const o = x as Record<string, unknown>;
  for (const name of names) {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${who}: ${what} has no usable ${name} (got ${JSON.stringify(v)})`);
  }
  return o as Record<string, number>;
}

/** A ready line's JSON, checked. */
export function readReady(x: unknown, who: string): SliceReady {
  const o = fields(x, ['threadsActual', 'warmStepMs'], who, 'the ready line');
  const backend = (x as { backend?: unknown }).backend;
  if (backend !== undefined && typeof backend !== 'string') throw new Error(`${who}: the ready line's backend is not a string (got ${JSON.stringify(backend)?.slice(0, 200)})`);
  return { threadsActual: o.threadsActual, warmStepMs: o.warmStepMs, ...(backend !== undefined ? { backend: backend.slice(0, 1000) } : {}) };
}

/** A slice line's JSON, checked against the request it answers. */
export function readSlice(x: unknown, steps: number, who: string): SliceResult {
  const o = fields(x, ['steps', 'fromMs', 'toMs', 'imgPerSec'], who, 'a slice line');
  if (o.steps !== steps) throw new Error(`${who}: asked for ${steps} steps, the slice line reports ${o.steps}`);
  if (!(o.toMs >= o.fromMs) || !(o.imgPerSec > 0)) throw new Error(`${who}: a slice line with no time or pace (from ${o.fromMs}, to ${o.toMs}, ${o.imgPerSec} img/s)`);
  return { steps: o.steps, fromMs: o.fromMs, toMs: o.toMs, imgPerSec: o.imgPerSec };
}

/** A request line, as the serving process reads it: its step count, or an error naming what is wrong. */
export function readRequest(line: string): number {
  let steps: unknown;
  try {
    steps = (JSON.parse(line) as { steps?: unknown })?.steps;
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > MAX_SLICE_STEPS) {
    throw new Error(`steps must be an integer in 1..${MAX_SLICE_STEPS}, got ${JSON.stringify(steps)}`);
  }
  return steps;
}

/** The request line for `steps` steps. */
export const requestLine = (steps: number): string => JSON.stringify({ steps });
