/**
 * Client start-up: the time from `streamssl client` starting (a new process, as a user or
 * Slurm starts it) to the coordinator accepting its hello, for the compiled build (what
 * bin/streamssl.mjs runs) and for the TypeScript sources compiled on load by tsx
 * (`STREAMSSL_RUN_SOURCES=1`), with one client and with several started at once.
 * The client loads its engine (TensorFlow.js, the wasm backend and the oneDNN kernels)
 * before it says hello, so this is the time until it can take a task.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../shared/code-location.js';
import { silentLogger } from '../shared/log.js';
import { startCoordinator } from '../server/net/coordinator.js';
import { STRUCTURE_ONLY_CHECK } from '../server/states/state-check.js';
import { startChild, type Child } from './child.js';
import { peakRssMb } from './peak-rss.js';

/** How the client's code is loaded. */
export type StartupVariant = 'compiled' | 'sources';
export const STARTUP_VARIANTS: readonly StartupVariant[] = ['compiled', 'sources'];

export interface StartupResult {
  variant: StartupVariant;
  /** Client processes started at once. */
  clients: number;
  /** Seconds from spawn to the coordinator's accepting each client's hello, in order of joining. */
  joinSeconds: number[];
  /** Peak resident memory of a client process after joining (largest over the clients), MB. */
  rssMb: number | null;
}

const BIN = join(PROJECT_ROOT, 'bin/streamssl.mjs');
const JOIN_TIMEOUT_MS = 120_000;

/** Starts `clients` client processes at once and measures when each joins. */
export async function measureStartup(variant: StartupVariant, clients: number, threads = 1): Promise<StartupResult> {
  const token = randomBytes(16).toString('hex');
  const coordinator = await startCoordinator({ host: '127.0.0.1', port: 0, token, logger: silentLogger(), resultCheck: STRUCTURE_ONLY_CHECK });
  const children: Child[] = [];
  const joinSeconds: number[] = [];
  try {
    const started = performance.now();
    const joinedAll = new Promise<void>((resolve) => {
      coordinator.registry.onJoin(() => {
        joinSeconds.push((performance.now() - started) / 1000);
        if (joinSeconds.length === clients) resolve();
      });
    });
    const env = { STREAMSSL_TOKEN: token, ...(variant === 'sources' ? { STREAMSSL_RUN_SOURCES: '1' } : {}) };
    for (let i = 0; i < clients; i++) {
      children.push(startChild(BIN, ['client', '--server', coordinator.url, '--client-id', `startup-${i}`, '--backend', 'auto', '--threads', String(threads)], env));
    }
    // Any end before joining fails the measurement (a failed one says why in its own error).
    const exited = children.map((child) =>
      child.exited.then(() => {
        throw new Error(`a client exited before joining: ${child.stderr().trim()}`);
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`clients did not join within ${JOIN_TIMEOUT_MS / 1000} s`)), JOIN_TIMEOUT_MS)));
    try {
      await Promise.race([joinedAll, timeout, ...exited]);
    } finally {
      clearTimeout(timer);
      for (const promise of exited) promise.catch(() => undefined);
    }
    const rss = await Promise.all(children.map((child) => peakRssMb(child.process.pid)));
    const known = rss.filter((mb): mb is number => mb !== null);
    return { variant, clients, joinSeconds, rssMb: known.length > 0 ? Math.max(...known) : null };
  } finally {
    await coordinator.close();
    // Killed, not stopped: what they do after joining is not measured.
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited.catch(() => undefined)));
  }
}

/** Every variant with each client count, the variants alternating so each pair shares the machine's state. */
export async function measureStartups(counts: readonly number[], repeats: number, log: (line: string) => void): Promise<StartupResult[]> {
  const results: StartupResult[] = [];
  for (const clients of counts) {
    for (let r = 0; r < repeats; r++) {
      for (const variant of STARTUP_VARIANTS) {
        const result = await measureStartup(variant, clients);
        log(`bench:   start-up, ${variant}, ${clients} client${clients === 1 ? '' : 's'}: joined after ${result.joinSeconds.map((s) => s.toFixed(2)).join(', ')} s`);
        results.push(result);
      }
    }
  }
  return results;
}
