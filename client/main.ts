/**
 * The client process: `node --import tsx client/main.ts --server URL --token T [--ca FILE] [--backend B] [--threads N]`
 * (also `streamssl client ...`). Loads the engine, joins the coordinator and serves tasks
 * until the coordinator ends the session. Logs go to stderr.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger, type Logger } from '../shared/log.js';
import { BACKEND_NAMES, type BackendName } from '../shared/scenario.js';
import { ClientStartError, startClient, type ClientHandle } from './connection.js';
import type { Engine } from './engine/types.js';

export interface ClientProcessOptions {
  server: string;
  /** Falls back to the STREAMSSL_TOKEN environment variable. */
  token?: string;
  /** PEM file of the certificate(s) to trust for an https coordinator. */
  ca?: string;
  backend: BackendName;
  /** Compute threads (wasm backend); default: every core of this process. */
  threads?: number;
  clientId?: string;
  /**
   * How long to keep trying to reach the coordinator (at start and after a lost
   * connection) before giving up; default about 35 s (10 attempts).
   */
  reconnectSeconds?: number;
}

/** Builds the engine for a backend; the default loads TensorFlow.js (client/engine). */
export type EngineFactory = (opts: { backend: BackendName; threads?: number }) => Promise<Engine>;

const loadEngine: EngineFactory = async (opts) => {
  // Imported here so that loading this module (e.g. from the CLI) does not load TensorFlow.js.
  const { createEngine } = await import('./engine/index.js');
  return createEngine(opts);
};

/** The GPU(s) a spawning coordinator gave this process (`--gpus`), as hello reports it. */
function gpuDevice(): { device?: string } {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  return visible ? { device: `cuda:${visible}` } : {};
}

/** The chunks a spawning coordinator placed on this process (`clients.placement`), from STREAMSSL_CHUNKS. */
function heldChunks(): { chunks?: number[] } {
  const list = process.env.STREAMSSL_CHUNKS;
  if (list === undefined || list.trim() === '') return {};
  const chunks = list.split(',').map(Number);
  if (chunks.some((k) => !Number.isInteger(k) || k < 0)) throw new Error(`STREAMSSL_CHUNKS must list chunk ids (e.g. 0,4,8), got "${list}"`);
  return { chunks };
}

/** Exit codes: 0 session ended normally, 1 failure, 2 refused (token, version, certificate) or bad arguments. */
export async function runClientProcess(options: ClientProcessOptions, makeEngine: EngineFactory = loadEngine): Promise<number> {
  const log = createLogger({ name: 'client' });
  leaveWithSpawner(log);
  const token = options.token ?? process.env.STREAMSSL_TOKEN;
  if (!token) {
    process.stderr.write('streamssl client: a token is required (--token T or STREAMSSL_TOKEN)\n');
    return 2;
  }
  let ca: string | undefined;
  try {
    ca = options.ca === undefined ? undefined : readFileSync(options.ca, 'utf8');
  } catch (err) {
    process.stderr.write(`streamssl client: cannot read the --ca certificate file: ${(err as Error).message}\n`);
    return 2;
  }
  let handle: ClientHandle;
  try {
    const engine = await makeEngine({ backend: options.backend, ...(options.threads !== undefined ? { threads: options.threads } : {}) });
    const backend = backendOf(engine);
    log.info({ backend: backend.name ?? 'unknown', threads: backend.threads, reason: backend.reason }, 'engine ready');
    handle = await startClient({ url: options.server, token, ca, engine, clientId: options.clientId, backend: backend.name, backendReason: backend.reason, ...gpuDevice(), ...heldChunks(), ...reconnection(options.reconnectSeconds), logger: log });
  } catch (err) {
    const refused = err instanceof ClientStartError && ['unauthorized', 'version_mismatch', 'bad_request', 'untrusted_certificate'].includes(err.code);
    process.stderr.write(`streamssl client: ${(err as Error).message}\n`);
    return refused ? 2 : 1;
  }
  const stop = () => void handle.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await handle.done;
    return 0;
  } catch (err) {
    process.stderr.write(`streamssl client: ${(err as Error).message}\n`);
    return 1;
  }
}

/**
 * A client spawned by a local coordinator has an IPC channel to it, which closes when the
 * coordinator process ends, however it ends (even SIGKILL): its session is then over.
 */
function leaveWithSpawner(log: Logger): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => {
    log.warn('the coordinator process that started this client is gone: exiting');
    process.exit(1);
  });
}

/** The `client` command, shared by this entry point and the `streamssl` CLI. */
export function clientCommand(name = 'client'): Command {
  return new Command(name)
    .description('join a coordinator and train on the chunks it assigns')
    .requiredOption('--server <url>', 'coordinator URL, e.g. http://127.0.0.1:4000')
    .option('--token <token>', 'shared token (default: $STREAMSSL_TOKEN)')
    .option('--ca <file>', "PEM certificate to trust for an https coordinator (e.g. serve's self-signed --cert)")
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES).default('auto'))
    .option('--threads <n>', 'compute threads of the wasm backend (default: all cores)', positiveInt)
    .option('--client-id <id>', 'name to register under (default <hostname>-<pid>)')
    .option('--reconnect-seconds <s>', "how long to keep trying to reach the coordinator after losing it (keep it above the scenario's clients.reconnectWaitSeconds)", positiveInt, 600)
    .action(async (opts: ClientProcessOptions) => {
      process.exitCode = await runClientProcess(opts);
    });
}

/** socket.io retries at most every 5 s (after 1, 2 and 4 s): the attempts that span `seconds`. */
export function reconnection(seconds: number | undefined): { reconnectionAttempts?: number } {
  return seconds === undefined ? {} : { reconnectionAttempts: Math.max(1, Math.ceil(seconds / 5) + 2) };
}

/** The backend the engine loaded, when it says (TrainingEngine has `backend: {name, reason, threads}`). */
function backendOf(engine: object): { name?: string; reason?: string; threads?: number } {
  const backend = (engine as { backend?: { name?: unknown; reason?: unknown; threads?: unknown } }).backend;
  return {
    ...(typeof backend?.name === 'string' ? { name: backend.name } : {}),
    ...(typeof backend?.reason === 'string' ? { reason: backend.reason } : {}),
    ...(typeof backend?.threads === 'number' ? { threads: backend.threads } : {}),
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  await clientCommand('streamssl-client').parseAsync(process.argv);
  // Open handles of the engine (thread pools, timers) must not keep a finished client alive.
  process.exit(process.exitCode ?? 0);
}
