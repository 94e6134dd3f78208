/** What a data-parallel replica (./replica.ts) is given and posts back. */

export interface ReplicaData {
  /** The replica's scenario: its part of the batch (./replica-scenario.ts). */
  scenario: unknown;
  replicas: number;
  index: number;
  seed: number;
  warmupSteps: number;
  steps: number;
  /** How long a replica waits for the others at a barrier before it refuses. */
  timeoutMs: number;
}

export interface ReplicaReady {
  type: 'ready';
  /** Floats of its gradients: the shared buffer's section size. */
  floats: number;
  /** What it computes on (BackendChoice.runs). */
  runs: string;
}

export interface ReplicaDone {
  type: 'done';
  msPerStep: number;
  /** SHA-256 of its trainable weights after the steps. */
  digest: string;
}
