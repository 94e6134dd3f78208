/**
 * The clients of a multi-seed run's session as one seed's run sees them: the same pool,
 * with every task id the clients see tagged with the seed (`seed-3:relay:stage-0`), so that
 * two seeds running the same stage at once never share an id on the wire, in the logs or
 * in the live view. The journal keeps the untagged task, as a single-seed run does.
 */
import type { WireTask } from '../../shared/protocol.js';
import type { AcquireOptions, ClientPool, TaskBounds, TaskClient, TaskEnd } from '../clients/pool.js';
import { seedTaskId } from '../observe/seed-tag.js';

export function seedPool(pool: ClientPool, seed: number): ClientPool {
  const inner = new Map<TaskClient, TaskClient>();
  return {
    async acquire(options?: AcquireOptions): Promise<TaskClient> {
      const client = await pool.acquire(options);
      const tagged: TaskClient = {
        id: client.id,
        runTask: <T extends WireTask>(task: T, state: Uint8Array | null, replay: Uint8Array | null, bounds?: TaskBounds) =>
          client.runTask({ ...task, taskId: seedTaskId(seed, task.taskId) }, state, replay, bounds),
      };
      inner.set(tagged, client);
      return tagged;
    },
    release(client: TaskClient, end?: TaskEnd): void {
      const original = inner.get(client);
      inner.delete(client);
      pool.release(original ?? client, end);
    },
  };
}
