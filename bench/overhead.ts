/**
 * Coordinator overhead against the number of clients: a real coordinator runs a relay
 * and a fedavg arm (one chunk per client, two rounds) with K in-process clients whose
 * engine trains nothing (null-engine.ts), so the time from a result arriving to the
 * arm's next task going out is the coordinator's own work: checkpoint, journal,
 * averaging, choosing a client. In-process clients share the coordinator's event loop,
 * so the figures are an upper bound for clients in their own processes. Each count runs
 * twice, without and with a dashboard viewer connected, to measure what watching costs.
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
import { io } from 'socket.io-client';
import type { RunEvent } from '../shared/observe/run-events.js';
import { applyEvent, type RunSnapshot } from '../shared/observe/snapshot.js';

export interface OverheadResult {
  clients: number;
  /** Whether a dashboard viewer was connected (a socket.io client on /view applying every batch, as the page does). */
  viewer: boolean;
  /** Events the viewer received (0 without one). */
  viewerEvents: number;
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

const VIEWER_TOKEN = 'overhead-bench-viewer-token';

/** A dashboard's reading side: the snapshot, then every batch applied with the page's reducer. */
function connectViewer(port: number): { events: () => number; close: () => void } {
  const socket = io(`http://127.0.0.1:${port}/view`, { auth: { token: VIEWER_TOKEN }, transports: ['websocket'] });
  let snapshot: RunSnapshot | null = null;
  let received = 0;
  socket.on('snapshot', (m: { snapshot: RunSnapshot }) => (snapshot = m.snapshot));
  socket.on('events', (m: { events: Array<[number, RunEvent]> }) => {
    for (const [, e] of m.events) if (snapshot) applyEvent(snapshot, e);
    received += m.events.length;
  });
  return { events: () => received, close: () => void socket.close() };
}

/** Two runs per client count, one after the other: without a dashboard viewer, then with one. */
export async function measureOverhead(clientCounts: readonly number[], log: (line: string) => void = () => undefined): Promise<OverheadResult[]> {
  const results: OverheadResult[] = [];
  for (const clients of clientCounts) {
    for (const viewer of [false, true]) {
      log(`bench: coordinator overhead with ${clients} client(s)${viewer ? ' and a dashboard viewer' : ''} ...`);
      const dir = await mkdtemp(join(tmpdir(), 'streamssl-overhead-'));
      let watching: ReturnType<typeof connectViewer> | null = null;
      try {
        const start = performance.now();
        const listen = viewer ? { viewerToken: VIEWER_TOKEN, dashboard: { host: '127.0.0.1' }, onListening: (_: string[], port: number) => (watching = connectViewer(port)) } : undefined;
        const { results: run } = await runScenario({ scenario: overheadScenario(clients), outDir: dir, launch: inProcessNullClients, logger: silentLogger(), resultCheck: STRUCTURE_ONLY_CHECK, ...(listen ? { listen } : {}) });
        const ofArm = (name: string) => summarizeOverhead(run.arms.find((a) => a.name === name)!.stages.flatMap((s) => s.overheadSeconds ?? []));
        const r: OverheadResult = { clients, viewer, viewerEvents: (watching as ReturnType<typeof connectViewer> | null)?.events() ?? 0, chunks: clients, all: run.coordinatorOverhead, relay: ofArm('relay'), fedavg: ofArm('fedavg'), seconds: (performance.now() - start) / 1000 };
        log(`bench:   median ${((r.all?.medianSeconds ?? 0) * 1000).toFixed(2)} ms per hand-over over ${r.all?.samples ?? 0}${viewer ? `; the viewer received ${r.viewerEvents} events` : ''}`);
        results.push(r);
      } finally {
        (watching as ReturnType<typeof connectViewer> | null)?.close();
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  return results;
}
