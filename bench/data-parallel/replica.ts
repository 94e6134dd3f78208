/**
 * One replica of a data-parallel step, in a worker thread (./replicas.ts starts it): its
 * own wasm backend and heap on one thread, the scenario's step on its part of the batch
 * (./replica-scenario.ts), gradients averaged with the other replicas' (./averaging-sgd.ts).
 *
 * Messages: it posts `ready` (its gradients' float count and what it computes on), takes
 * the shared buffer, runs the warm-up and the timed steps, and posts `done` with its ms a
 * step and a digest of its weights: equal digests show the replicas stayed one model.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../../client/backend.js';
import type { Scenario } from '../../shared/scenario.js';
import { scenarioSteps } from '../scenario-steps.js';
import { AveragingSgd, gradientFloats } from './averaging-sgd.js';
import { SharedGradients } from './shared-gradients.js';
import type { ReplicaData, ReplicaDone, ReplicaReady } from './replica-messages.js';

async function main(port: NonNullable<typeof parentPort>, data: ReplicaData): Promise<void> {
  const choice = await selectBackend('wasm', { threads: 1 });
  let shared: SharedGradients | null = null;
  const steps = scenarioSteps(data.scenario as Scenario, {
    seed: data.seed,
    // Different views on every replica: the parts of one batch.
    viewSeed: data.seed + 1000 * (data.index + 1),
    optimizer: (options) =>
      new AveragingSgd(options, () => {
        if (!shared) throw new Error(`replica ${data.index}: a step ran before the shared gradient buffer arrived`);
        return shared;
      }),
  });
  try {
    const floats = gradientFloats(steps.trainable);
    const buffer = await new Promise<SharedArrayBuffer>((resolve) => {
      port.once('message', (m: { buffer: SharedArrayBuffer }) => resolve(m.buffer));
      port.postMessage({ type: 'ready', floats, runs: choice.runs } satisfies ReplicaReady);
    });
    shared = new SharedGradients(buffer, { replicas: data.replicas, floats }, data.index, data.timeoutMs);
    if (data.warmupSteps > 0) steps.run(data.warmupSteps);
    const msPerStep = steps.run(data.steps);
    const hash = createHash('sha256');
    for (const w of steps.trainable.values()) hash.update(w.dataSync() as Float32Array);
    port.postMessage({ type: 'done', msPerStep, digest: hash.digest('hex') } satisfies ReplicaDone);
  } finally {
    steps.dispose();
  }
}

if (!parentPort) throw new Error('bench/data-parallel/replica runs as a worker thread (bench/data-parallel/replicas.ts starts it)');
await main(parentPort, workerData as ReplicaData);
