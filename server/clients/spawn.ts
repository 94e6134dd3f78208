/**
 * Local client processes: `node --import tsx client/main.ts --server URL --backend B [--threads N] --client-id client-<i>`,
 * each logging to `DIR/logs/client-<i>.log`. A process that dies while the run goes on is
 * started again with the same id and arguments, at most `maxRestarts` times, so that a
 * stage it lost can be retried. All are killed when the coordinator exits; each also has
 * an IPC channel to the coordinator and leaves when that closes, even if the coordinator
 * was killed with SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../shared/log.js';
import { CLIENT_NODE_FLAGS, describeExit, MALLOC_ENV, spawnEntry } from './node-process.js';
import { entryFile } from '../../shared/code-location.js';
import type { EventSink } from '../observe/bus.js';

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
  /** Told of every restart (the run's events). */
  events?: EventSink;
  /** Client entry point (default `client/main.ts` of this checkout). */
  entry?: string;
  /** Extra environment for the children (e.g. `STREAMSSL_LOG`). */
  env?: NodeJS.ProcessEnv;
  /** Times each client is started again after its process died (default 0: never). */
  maxRestarts?: number;
  /** GPU ids given to the clients round-robin (client i gets `gpus[i mod n]` as CUDA_VISIBLE_DEVICES). */
  gpus?: readonly string[];
  /** The chunks each client holds, by index (STREAMSSL_CHUNKS; see `clients.placement`). */
  holdings?: readonly (readonly number[])[];
}

export interface SpawnedClients {
  /** The current process of each client, in `ids` order (a restarted client's newest one). */
  readonly processes: readonly ChildProcess[];
  /** Ids the clients register under: `client-0`, `client-1`, ... */
  readonly ids: readonly string[];
  /** Resolves when every client has exited for good (no restart left), with a line per client. */
  readonly allExited: Promise<string[]>;
  /** Asks every process to stop (SIGTERM), then kills stragglers after `graceMs`; nothing restarts after this. */
  stop(graceMs?: number): Promise<void>;
}

/** The client's exit code for a refusal (token, protocol version, arguments): restarting cannot help. */
const REFUSED_EXIT_CODE = 2;

interface Slot {
  id: string;
  child: ChildProcess;
  restarts: number;
}

/** Spawns `count` client processes connected to `serverUrl`. */
export function spawnClients(options: SpawnClientsOptions): SpawnedClients {
  const logger = options.logger ?? silentLogger();
  const maxRestarts = options.maxRestarts ?? 0;
  const entry = options.entry ?? entryFile('client/main');
  mkdirSync(options.logDir, { recursive: true });
  const ids = Array.from({ length: options.count }, (_, i) => `client-${i}`);
  const logOf = (id: string) => join(options.logDir, `${id}.log`);
  let stopping = false;

  const placementEnv = (id: string): NodeJS.ProcessEnv => {
    const i = ids.indexOf(id);
    const gpus = options.gpus;
    const chunks = options.holdings?.[i];
    return { ...(gpus && gpus.length > 0 ? { CUDA_VISIBLE_DEVICES: gpus[i % gpus.length] } : {}), ...(chunks ? { STREAMSSL_CHUNKS: chunks.join(',') } : {}) };
  };

  const start = (id: string): ChildProcess => {
    const fd = openSync(logOf(id), 'a');
    try {
      // The token travels in the environment, not argv, so it does not show in `ps` or in logged command lines.
      const threads = options.threads === undefined ? [] : ['--threads', String(options.threads)];
      const args = ['--server', options.serverUrl, '--backend', options.backend, ...threads, '--client-id', id];
      const child = spawnEntry(
        entry,
        args,
        {
          stdio: ['ignore', fd, fd, 'ipc'],
          env: { ...MALLOC_ENV, ...process.env, ...options.env, ...placementEnv(id), STREAMSSL_TOKEN: options.token },
        },
        CLIENT_NODE_FLAGS,
      );
      // The channel only tells the child when this process is gone; it must not keep this one alive.
      child.channel?.unref();
      logger.info({ client: id, pid: child.pid, log: logOf(id) }, 'client process started');
      return child;
    } finally {
      closeSync(fd);
    }
  };

  /** Follows a slot's processes until one exits for good; resolves with how it ended. */
  const follow = (slot: Slot, resolve: (line: string) => void) => {
    const child = slot.child;
    let ended = false;
    const exited = (how: string, restartable: boolean) => {
      if (ended) return;
      ended = true;
      logger.info({ client: slot.id, how }, 'client process exited');
      if (!stopping && restartable && slot.restarts < maxRestarts) {
        slot.restarts++;
        logger.warn({ client: slot.id, how, restart: slot.restarts, maxRestarts }, 'client process died: starting it again');
        options.events?.publish({ type: 'client-restarted', client: slot.id, restart: slot.restarts, maxRestarts, how });
        slot.child = start(slot.id);
        follow(slot, resolve);
        return;
      }
      resolve(`${slot.id} ${how} (log: ${logOf(slot.id)})`);
    };
    if (child.exitCode !== null || child.signalCode !== null) exited(describeExit(child.exitCode, child.signalCode), child.exitCode !== REFUSED_EXIT_CODE);
    child.once('exit', (code, signal) => exited(describeExit(code, signal), code !== REFUSED_EXIT_CODE));
    child.once('error', (err) => exited(`failed to start: ${err.message}`, false));
  };

  const slots: Slot[] = ids.map((id) => ({ id, child: start(id), restarts: 0 }));
  const allExited = Promise.all(slots.map((slot) => new Promise<string>((resolve) => follow(slot, resolve))));

  const killAll = (signal: NodeJS.Signals) => {
    for (const { child } of slots) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const onExit = () => killAll('SIGKILL');
  process.once('exit', onExit);

  return {
    get processes() {
      return slots.map((slot) => slot.child);
    },
    ids,
    allExited,
    async stop(graceMs = 5000) {
      stopping = true;
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
