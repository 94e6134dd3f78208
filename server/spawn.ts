/**
 * Local client processes: `node --import tsx client/main.ts --server URL --backend B [--threads N]`, each
 * logging to `DIR/logs/client-<i>.log`, all killed when the coordinator exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { silentLogger, type Logger } from '../shared/log.js';

export interface SpawnClientsOptions {
  count: number;
  serverUrl: string;
  token: string;
  backend: string;
  /** Compute threads per client (`--threads`); default: the client's own (all its cores). */
  threads?: number;
  /** Folder for `client-<i>.log`. */
  logDir: string;
  logger?: Logger;
  /** Client entry point (default `client/main.ts` of this checkout). */
  entry?: string;
  /** Extra environment for the children (e.g. `STREAMSSL_LOG`). */
  env?: NodeJS.ProcessEnv;
}

export interface SpawnedClients {
  readonly processes: readonly ChildProcess[];
  /** Ids the clients register under: `client-0`, `client-1`, ... */
  readonly ids: readonly string[];
  /** Resolves when every process has exited, with a line per process. */
  readonly allExited: Promise<string[]>;
  /** Asks every process to stop (SIGTERM), then kills stragglers after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../client/main.ts', import.meta.url));

/** Spawns `count` client processes connected to `serverUrl`. */
export function spawnClients(options: SpawnClientsOptions): SpawnedClients {
  const logger = options.logger ?? silentLogger();
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const entry = options.entry ?? DEFAULT_ENTRY;
  mkdirSync(options.logDir, { recursive: true });
  const ids = Array.from({ length: options.count }, (_, i) => `client-${i}`);
  const processes = ids.map((id) => {
    const logFile = join(options.logDir, `${id}.log`);
    const fd = openSync(logFile, 'a');
    try {
      // The token travels in the environment, not argv, so it does not show in `ps` or in logged command lines.
      const threads = options.threads === undefined ? [] : ['--threads', String(options.threads)];
      const args = ['--import', tsx, entry, '--server', options.serverUrl, '--backend', options.backend, ...threads, '--client-id', id];
      const child = spawn(process.execPath, args, {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...options.env, STREAMSSL_TOKEN: options.token },
      });
      logger.info({ client: id, pid: child.pid, log: logFile }, 'client process started');
      return child;
    } finally {
      closeSync(fd);
    }
  });

  const exits = processes.map(
    (child, i) =>
      new Promise<string>((resolve) => {
        const done = (how: string) => {
          logger.info({ client: ids[i], how }, 'client process exited');
          resolve(`${ids[i]} ${how} (log: ${join(options.logDir, `${ids[i]}.log`)})`);
        };
        if (child.exitCode !== null || child.signalCode !== null) done(describeExit(child.exitCode, child.signalCode));
        child.once('exit', (code, signal) => done(describeExit(code, signal)));
        child.once('error', (err) => done(`failed to start: ${err.message}`));
      }),
  );
  const allExited = Promise.all(exits);

  const killAll = (signal: NodeJS.Signals) => {
    for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const onExit = () => killAll('SIGKILL');
  process.once('exit', onExit);

  return {
    processes,
    ids,
    allExited,
    async stop(graceMs = 5000) {
      killAll('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          killAll('SIGKILL');
          resolve();
        }, graceMs);
      });
      await Promise.race([allExited, grace]);
      clearTimeout(timer);
      await allExited;
      process.off('exit', onExit);
    },
  };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
