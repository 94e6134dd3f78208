/**
 * `clients.placement: "partitioned"`: each chunk's data is on some clients only, and the
 * coordinator sends a chunk's relay stage or fedavg task only to a client holding it,
 * while joint (the pooled-data reference) and evaluations run anywhere.
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { checkChunksHeld, chunkHoldings } from '../../server/clients/placement.js';
import type { ClientSnapshot } from '../../server/clients/registry.js';
import { runScenario } from '../../server/run/run.js';
import { inProcessClients } from '../support/launcher.js';
import { ModelStateFakeEngine } from '../support/model-state-engine.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('data placement', () => {
  const tempDir = useTempDir('streamssl-placement-');

  it('partitions chunks over clients, with replicas when there are more clients than chunks', () => {
    expect(chunkHoldings('everywhere', 3, 5)).toBeNull();
    expect(chunkHoldings('partitioned', 2, 5)).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    expect(chunkHoldings('partitioned', 4, 2)).toEqual([[0], [1], [0], [1]]);
    const client = (chunks: number[]) => ({ chunks }) as ClientSnapshot;
    expect(() => checkChunksHeld([client([0, 2]), client([3])], 4)).toThrow(/no connected client holds chunk\(s\) 1/);
    expect(() => checkChunksHeld([client([0]), { id: 'all' } as ClientSnapshot], 4)).not.toThrow();
  });

  it('runs each chunk’s relay stage and fedavg task on a client that holds the chunk', async () => {
    const scenario = tinyScenario({
      stream: { type: 'instance', chunks: 4 },
      arms: [
        { name: 'relay', mode: 'relay' },
        { name: 'joint', mode: 'joint' },
        { name: 'fedavg', mode: 'fedavg', rounds: 2 },
      ],
      clients: { placement: 'partitioned' },
    });
    const clients = inProcessClients({ trainDelayMs: 5 }, (o) => new ModelStateFakeEngine(o));
    const summary = await runScenario({ scenario, outDir: tempDir(), clients: 2, resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    expect(summary.failures).toEqual([]);
    const singleChunk = clients.engines.flatMap((engine, i) =>
      engine.calls.filter((c) => /^(relay:stage-|fedavg:round-\d+:chunk-)/.test(c.taskId)).map((c) => ({ client: i, chunk: Number(/(\d+)$/.exec(c.taskId)![1]) })),
    );
    expect(singleChunk).toHaveLength(4 + 8);
    for (const { client, chunk } of singleChunk) expect(chunk % 2).toBe(client);
  });
});
