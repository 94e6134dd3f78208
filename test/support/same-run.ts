/**
 * Test helper: what two runs of one scenario must share when one of them was disturbed
 * (clients killed, coordinator killed and resumed). Compared: the scenario, the backend,
 * the stream and compute matching, every loss, step count and accuracy (per chunk too),
 * the accuracy matrix, forgetting, failures, and every checkpoint file byte for byte.
 * Not compared: timings (seconds, images per second, start and end times) and which
 * client process ran what.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { sha256Hex } from '../../shared/transfer.js';
import type { EvalResult, Results } from '../../server/report/results.js';

/** The fields of results.json that do not depend on timing or on which client ran what. */
export function comparableResults(r: Results) {
  const accuracy = (e: EvalResult | null) => e && { knnTop1: e.knnTop1, linearTop1: e.linearTop1, perChunk: e.perChunk };
  return {
    backend: r.backend,
    scenario: r.scenario,
    stream: r.stream,
    computeMatching: r.computeMatching,
    randomInit: accuracy(r.randomInit),
    arms: r.arms.map((a) => ({
      name: a.name,
      mode: a.mode,
      strategy: a.strategy,
      error: a.error,
      stages: a.stages.map((s) => ({ stage: s.stage, chunk: s.chunk, steps: s.steps, loss: s.loss, eval: accuracy(s.eval) })),
      final: a.final && { ...accuracy(a.final), steps: a.final.steps },
      accuracyMatrix: a.accuracyMatrix,
      forgetting: a.forgetting,
    })),
  };
}

/**
 * Every file under `DIR/checkpoints` (by path relative to it) with its size and SHA-256:
 * equal digests are equal bytes, and far quicker to compare than megabytes element-wise.
 */
export async function checkpointFiles(runDir: string): Promise<Record<string, string>> {
  const root = join(runDir, 'checkpoints');
  const out: Record<string, string> = {};
  for (const path of (await readdir(root, { recursive: true })).sort()) {
    if (!(await stat(join(root, path))).isFile()) continue;
    const bytes = await readFile(join(root, path));
    out[path.split(sep).join('/')] = `${bytes.byteLength} bytes, sha256 ${sha256Hex(bytes)}`;
  }
  return out;
}

/** results.json of a run folder. */
export async function readResults(runDir: string): Promise<Results> {
  return JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results;
}
