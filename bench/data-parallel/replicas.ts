/**
 * A data-parallel run of a scenario's step: `replicas` worker threads in this process,
 * each with its own wasm heap on one thread and its part of the batch (./replica.ts),
 * averaging gradients through one shared buffer (./shared-gradients.ts).
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Scenario } from '../../shared/scenario.js';
import { entryFile } from '../../shared/code-location.js';
import { sharedGradientBytes } from './shared-gradients.js';
import { replicaScenario } from './replica-scenario.js';
import type { ReplicaData, ReplicaDone, ReplicaReady } from './replica-messages.js';

export interface ReplicasOptions {
  replicas: number;
  seed: number;
  warmupSteps: number;
  steps: number;
  /** How long a replica waits for the others at a barrier (default 120 s). */
  timeoutMs?: number;
}

export interface ReplicasResult {
  /** Milliseconds a step of the whole batch: the slowest replica's. */
  msPerStep: number;
  /** What each replica computes on. */
  runs: string[];
  /** Each replica's weights digest; all equal, or the run throws. */
  digest: string;
}

/** A worker of `entry` (a bench module): compiled JavaScript directly, TypeScript through tsx. */
function startWorker(data: ReplicaData & { entry: string }): Worker {
  const name = `streamssl-replica-${data.index}`;
  if (!data.entry.endsWith('.ts')) return new Worker(data.entry, { name, workerData: data });
  return new Worker(new URL('./tsx-worker.mjs', import.meta.url), { name, workerData: { ...data, entry: pathToFileURL(data.entry).href } });
}

/** Settles with each worker's next message of `type`; rejects when any worker fails or exits first. */
function nextFromAll<T extends { type: string }>(workers: Worker[], type: T['type']): Promise<T[]> {
  return Promise.all(
    workers.map(
      (w, i) =>
        new Promise<T>((resolve, reject) => {
          const onMessage = (m: T) => {
            if (m.type !== type) return;
            off();
            resolve(m);
          };
          const onError = (err: Error) => {
            off();
            reject(new Error(`replica ${i}: ${err.message}`));
          };
          const onExit = (code: number) => {
            off();
            reject(new Error(`replica ${i} exited with code ${code} before it sent "${type}"`));
          };
          const off = () => {
            w.off('message', onMessage);
            w.off('error', onError);
            w.off('exit', onExit);
          };
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
        }),
    ),
  );
}

export async function runReplicas(scenario: Scenario, o: ReplicasOptions): Promise<ReplicasResult> {
  const part = replicaScenario(scenario, o.replicas);
  const entry = entryFile('bench/data-parallel/replica');
  const workers = Array.from({ length: o.replicas }, (_, index) =>
    startWorker({ entry, scenario: part, replicas: o.replicas, index, seed: o.seed, warmupSteps: o.warmupSteps, steps: o.steps, timeoutMs: o.timeoutMs ?? 120_000 }),
  );
  try {
    const ready = await nextFromAll<ReplicaReady>(workers, 'ready');
    const floats = ready[0].floats;
    if (ready.some((r) => r.floats !== floats)) throw new Error(`the replicas' models differ: ${ready.map((r) => r.floats).join(', ')} gradient floats`);
    const buffer = new SharedArrayBuffer(sharedGradientBytes({ replicas: o.replicas, floats }));
    const done = nextFromAll<ReplicaDone>(workers, 'done');
    for (const w of workers) w.postMessage({ buffer });
    const results = await done;
    const digests = new Set(results.map((r) => r.digest));
    if (digests.size !== 1) throw new Error(`the replicas' weights differ after ${o.warmupSteps + o.steps} steps (${digests.size} digests): their updates were not the same`);
    return { msPerStep: Math.max(...results.map((r) => r.msPerStep)), runs: ready.map((r) => r.runs), digest: results[0].digest };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
