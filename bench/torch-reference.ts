/**
 * The PyTorch side of `streamssl bench`: the same MoCo-v2 step measured by
 * bench/reference/moco_torch.py (Debian's python3-torch), one fresh Python
 * process per (configuration, thread count), run right after streamssl's own
 * measurement of that row so that each ratio comes from neighbouring seconds
 * of a machine whose speed drifts.
 */
import { execFileSync, execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../shared/code-location.js';
import type { ConfigName } from './configs.js';

const run = promisify(execFile);
/** The PyTorch reference step (bench/reference/moco_torch.py). */
export const TORCH_SCRIPT = join(PROJECT_ROOT, 'bench', 'reference', 'moco_torch.py');

/** One PyTorch measurement, as moco_torch.py reports it. */
export interface TorchResult {
  version: string;
  threadsActual: number;
  steps: number;
  seconds: number;
  imgPerSec: number;
}

/** Where to find PyTorch: the interpreter, and its version, or why it is not there. */
export type TorchProbe = { python: string; version: string } | { python: null; reason: string };

/**
 * Whether `python` (default `STREAMSSL_BENCH_PYTHON` or /usr/bin/python3) imports torch.
 * Bounded: 60 s (the first import of torch is slow).
 */
export function probeTorch(python = process.env.STREAMSSL_BENCH_PYTHON ?? '/usr/bin/python3'): TorchProbe {
  try {
    const version = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
    return { python, version };
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    const last = e.stderr?.toString().trim().split('\n').pop();
    return { python: null, reason: e.code === 'ENOENT' ? `${python} not found` : `${python} cannot import torch${last ? ` (${last})` : ''}` };
  }
}

export interface TorchRowOptions {
  python: string;
  version: string;
  config: ConfigName;
  threads: number;
  warmup: number;
  /** Timed steps, or null: as many as fit in `seconds`. */
  steps: number | null;
  seconds: number;
}

/** One row on PyTorch; its process is ended after 10 minutes or 20 budgets, whichever is longer. */
export async function measureTorchRow(o: TorchRowOptions): Promise<TorchResult> {
  const spec = { config: o.config, threads: o.threads, warmup: o.warmup, steps: o.steps, seconds: o.seconds, augment: 'simple' };
  const { stdout } = await run(o.python, [TORCH_SCRIPT, '--worker', JSON.stringify(spec)], { timeout: Math.max(600, 20 * o.seconds) * 1000, maxBuffer: 1 << 20 });
  const line = stdout.trim().split('\n').pop() ?? '';
  let r: Partial<TorchResult>;
  try {
    r = JSON.parse(line) as Partial<TorchResult>;
  } catch {
    throw new Error(`moco_torch.py ${o.config} on ${o.threads} thread(s): not a JSON result: ${line.slice(0, 200)}`);
  }
  if (typeof r.imgPerSec !== 'number' || !(r.imgPerSec > 0)) throw new Error(`moco_torch.py ${o.config}: no img/s in ${line.slice(0, 200)}`);
  return { version: o.version, threadsActual: Number(r.threadsActual), steps: Number(r.steps), seconds: Number(r.seconds), imgPerSec: r.imgPerSec };
}
