/**
 * Coordinator overhead against the number of clients: a real coordinator runs a relay
 * and a fedavg arm (one chunk per client, two rounds) with K in-process clients whose
 * engine trains nothing (null-engine.ts), so the time from a result arriving to the
 * arm's next task going out is the coordinator's own work: checkpoint, journal,
 * averaging, choosing a client. In-process clients share the coordinator's event loop,
 * so the figures are an upper bound for clients in their own processes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClient, type ClientHandle } from '../client/connection.js';
import { summarizeOverhead, type OverheadSummary } from '../server/run/overhead.js';
import { runScenario, type ClientLauncher } from '../server/run/run.js';
import { STRUCTURE_ONLY_CHECK } from '../server/states/state-check.js';
import { silentLogger } from '../shared/log.js';
import { parseScenario, type Scenario } from '../shared/scenario.js';
import { NullEngine } from './null-engine.js';

export interface OverheadResult {
  clients: number;
  chunks: number;
  /** Over all hand-overs of both arms. */
  all: OverheadSummary | null;
  relay: OverheadSummary | null;
  fedavg: OverheadSummary | null;
  /** Wall time of the whole run. */
  seconds: number;
}

function overheadScenario(clients: number): Scenario {
  return parseScenario(
    {
      name: `overhead-${clients}`,
      dataset: { name: 'synthetic' },
      stream: { type: 'instance', chunks: clients },
      model: { widths: [4], blocksPerStage: 1, projectionHidden: 8, projectionDim: 4 },
      ssl: { bnGroups: 1 },
      training: { epochsPerChunk: 1, batchSize: 32 },
      arms: [
        { name: 'relay', mode: 'relay' },
        { name: 'fedavg', mode: 'fedavg', rounds: 2 },
      ],
      evaluation: { everyStage: false },
      clients: { count: clients },
    },
    'overhead bench scenario',
  );
}

const inProcessNullClients: ClientLauncher = async ({ url, token, count }) => {
  const handles: ClientHandle[] = [];
  for (let i = 0; i < count; i++) handles.push(await startClient({ url, token, engine: new NullEngine(), clientId: `null-${i}`, backend: 'none', logger: silentLogger() }));
  return { stop: async () => void (await Promise.all(handles.map((h) => h.close()))) };
};

/** One run per client count, one after the other. */
export async function measureOverhead(clientCounts: readonly number[], log: (line: string) => void = () => undefined): Promise<OverheadResult[]> {
  const results: OverheadResult[] = [];
  for (const clients of clientCounts) {
    log(`bench: coordinator overhead with ${clients} client(s) ...`);
    const dir = await mkdtemp(join(tmpdir(), 'streamssl-overhead-'));
    try {
      const start = performance.now();
      const { results: run } = await runScenario({ scenario: overheadScenario(clients), outDir: dir, launch: inProcessNullClients, logger: silentLogger(), resultCheck: STRUCTURE_ONLY_CHECK });
      const ofArm = (name: string) => summarizeOverhead(run.arms.find((a) => a.name === name)!.stages.flatMap((s) => s.overheadSeconds ?? []));
      const r: OverheadResult = { clients, chunks: clients, all: run.coordinatorOverhead, relay: ofArm('relay'), fedavg: ofArm('fedavg'), seconds: (performance.now() - start) / 1000 };
      log(`bench:   median ${((r.all?.medianSeconds ?? 0) * 1000).toFixed(2)} ms per hand-over over ${r.all?.samples ?? 0}`);
      results.push(r);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}
