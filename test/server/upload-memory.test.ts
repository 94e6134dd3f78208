/**
 * The coordinator readies the memory of the state a train task will return while the
 * client trains (server/net/remote-client.ts): a bounded upload then arrives in pages
 * written already, not in fresh ones. Only where the task's model bounds the state (a
 * check without a bound would have it ready the 2 GiB outer cap) and the state's wire size
 * is known ahead: plain float32, or float16 (about half; see float16-pass-through.test.ts),
 * not deflated (known only once compressed).
 */
import { describe, expect, it } from 'vitest';
import { BlobInbox } from '../../shared/blob-inbox.js';
import { silentLogger } from '../../shared/log.js';
import type { TrainTask } from '../../shared/tasks.js';
import { BlobOutbox } from '../../server/net/blob-outbox.js';
import { RemoteClient, type CoordinatorSocket } from '../../server/net/remote-client.js';
import { planArm } from '../../server/schedule/index.js';
import { MANIFEST_CHECK, STRUCTURE_ONLY_CHECK, type ResultCheck } from '../../server/states/state-check.js';
import { taskUploadBound } from '../../server/states/upload-bound.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../../shared/transfer.js';
import { tinyScenario } from '../support/scenario.js';

const scenario = tinyScenario();
const [trainTask] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] }) as TrainTask[];

/** A connection that acknowledges every assignment and never sends a result. */
const acceptingSocket = { timeout: () => ({ emitWithAck: async () => ({ ok: true }) }) } as unknown as CoordinatorSocket;

/** Starts `trainTask` on a client whose results are checked by `check`; returns its inbox and a way to end the task. */
function running(check: ResultCheck, task: TrainTask = trainTask) {
  const inbox = new BlobInbox();
  const client = new RemoteClient('c0', acceptingSocket, inbox, new BlobOutbox(), { stageTimeoutMs: 60_000, ackTimeoutMs: 5_000, resultCheck: check, logger: silentLogger() });
  const outcome = client.runTask(task, null, null).catch((err: Error) => err);
  return { inbox, end: async () => (client.disconnected('test over'), await outcome) };
}

describe('memory readied for a returned state', () => {
  it('is the state bound of the task, and the upload of the state arrives in it', async () => {
    const { inbox, end } = running(MANIFEST_CHECK);
    const bound = taskUploadBound(trainTask, MANIFEST_CHECK, 0, DEFAULT_MAX_BLOB_BYTES).state;
    expect(bound).toBeGreaterThan(0);
    expect(bound).toBeLessThan(DEFAULT_MAX_BLOB_BYTES);
    await expect.poll(() => inbox.spareBytes).toBe(bound);
    expect(inbox.open({ id: 'state', size: bound, sha256: '0'.repeat(64) })).toEqual({ ok: true });
    expect(inbox.spareBytes).toBe(0); // taken by the upload
    expect(await end()).toMatchObject({ code: 'disconnected' });
  });

  it('is not readied when nothing bounds the state, or its wire size is known only once compressed', async () => {
    for (const [check, task] of [
      [STRUCTURE_ONLY_CHECK, trainTask],
      [MANIFEST_CHECK, { ...trainTask, transfer: { encoding: 'float32', compression: 'deflate' } }],
      [MANIFEST_CHECK, { ...trainTask, transfer: { encoding: 'float16', compression: 'deflate' } }],
    ] as const) {
      const { inbox, end } = running(check, task);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(inbox.spareBytes).toBe(0);
      await end();
    }
  });
});
