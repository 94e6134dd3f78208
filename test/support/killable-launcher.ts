/**
 * Test helper: a `ClientLauncher` that spawns client processes as `runScenario` would
 * (restarts included) and keeps them at hand, so a test can kill them mid-run.
 */
import { fileURLToPath } from 'node:url';
import type { ClientLauncher } from '../../server/run/run.js';
import { spawnClients, type SpawnedClients } from '../../server/clients/spawn.js';

/** Client processes with the fake engine (see fake-client-main.ts). */
export const FAKE_CLIENT_ENTRY = fileURLToPath(new URL('./fake-client-main.ts', import.meta.url));

export interface KillableLauncher {
  launcher: ClientLauncher;
  /** The clients the launcher spawned (after the run has launched them). */
  spawned(): SpawnedClients;
}

/** Spawns the real client (default) or another `entry`, with extra environment `env`. */
export function killableLauncher(options: { entry?: string; env?: NodeJS.ProcessEnv } = {}): KillableLauncher {
  let spawned: SpawnedClients | undefined;
  const launcher: ClientLauncher = (ctx) => {
    spawned = spawnClients({
      count: ctx.count,
      serverUrl: ctx.url,
      token: ctx.token,
      backend: ctx.backend,
      // The fake client takes no --threads.
      ...(options.entry ? {} : { threads: ctx.threads }),
      logDir: ctx.logDir,
      logger: ctx.logger,
      maxRestarts: ctx.restarts,
      ...options,
    });
    return spawned;
  };
  return {
    launcher,
    spawned() {
      if (!spawned) throw new Error('no client was launched yet');
      return spawned;
    },
  };
}
