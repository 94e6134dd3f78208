/**
 * How a new run's clients are set up: how many, their backend, GPUs and threads (this
 * machine's cores shared among the clients busy at once), and the stream plan it is given.
 */
import { availableParallelism } from 'node:os';
import type { Scenario } from '../../shared/scenario.js';
import { modeOf } from '../schedule/index.js';
import type { ClientSetup } from './journal.js';
import type { RunScenarioOptions } from './run-options.js';

/**
 * Threads per local client: this machine's cores shared by the clients that train at the
 * same time, so that parallel arms do not oversubscribe the CPU. Relay and joint arms each
 * keep one client busy (relay hands its model from client to client), so that is one per
 * arm when arms run in parallel, else one. Static: when one arm finishes first, the other
 * keeps its share (a client fixes its threads when its backend starts).
 */
export function clientThreads(o: { clients: number; arms: number; parallelArms: boolean }, cores = availableParallelism()): number {
  const busy = o.parallelArms ? Math.max(1, Math.min(o.clients, o.arms)) : 1;
  return Math.max(1, Math.floor(cores / busy));
}

function gpusOf(gpus: string[] | undefined): { gpus?: string[] } {
  return gpus && gpus.length > 0 ? { gpus } : {};
}

/** Clients the arms keep busy at once: one per relay or joint arm, one per chunk for fedavg (each mode says). */
function clientsBusyAtOnce(scenario: Scenario): number {
  return scenario.arms.reduce((n, arm) => n + modeOf(arm).busyClients(arm, scenario), 0);
}

/**
 * Whether the run scores its stages aside (run-arm.ts `evaluateAside`): when it has more
 * clients than its arms keep busy at once (`runsAtOnce` runs sharing them: seeds), so that
 * an evaluation finds a client of its own while the arm's next stage trains. Without one
 * to spare, the stage's own task scores it, which saves the state's trip to another client.
 */
export function evaluationAside(scenario: Scenario, setup: Pick<ClientSetup, 'clients'>, runsAtOnce = 1): boolean {
  const parallel = scenario.clients.parallelArms && setup.clients > 1;
  const busy = parallel ? clientsBusyAtOnce(scenario) * runsAtOnce : Math.max(1, ...scenario.arms.map((arm) => modeOf(arm).busyClients(arm, scenario)));
  return setup.clients > busy;
}

/**
 * How a new run starts its clients; `runsAtOnce` runs of the scenario (seeds) share them,
 * so the cores are divided among all their busy clients.
 */
export function clientSetup(options: RunScenarioOptions, runsAtOnce = 1): ClientSetup {
  const { scenario } = options;
  const clients = options.clients ?? scenario.clients.count ?? scenario.stream.chunks;
  const parallelArms = scenario.clients.parallelArms && clients > 1;
  return {
    clients,
    backend: options.backend ?? scenario.clients.backend,
    threads: options.threads ?? scenario.clients.threads ?? clientThreads({ clients, arms: clientsBusyAtOnce(scenario) * (parallelArms ? runsAtOnce : 1), parallelArms }),
    remote: options.launch === null,
    ...gpusOf(options.gpus ?? scenario.clients.gpus),
  };
}

/** The stream plan a run is given (`chunkSizes`), if any. */
export function givenStream(options: Pick<RunScenarioOptions, 'chunkSizes'>): { chunks: Array<{ id: number; size: number }> } | undefined {
  return options.chunkSizes ? { chunks: options.chunkSizes.map((size, id) => ({ id, size })) } : undefined;
}
