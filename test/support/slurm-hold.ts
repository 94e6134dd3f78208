/**
 * Test fixture: starts a one-node Slurm cluster (./slurm-cluster.ts), prints
 * `STARTED <cluster folder>` (or `SKIP <why>`) and waits to be killed, never stopping it: what a
 * test process killed outright leaves behind.
 *
 *   node --import tsx test/support/slurm-hold.ts
 */
import { startSlurmCluster } from './slurm-cluster.js';

const start = await startSlurmCluster({ gpus: 1 });
if ('skip' in start) {
  process.stdout.write(`SKIP ${start.skip}\n`);
  process.exit(0);
}
process.stdout.write(`STARTED ${start.cluster.dir}\n`);
await new Promise(() => undefined);
