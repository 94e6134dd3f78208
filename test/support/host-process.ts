/**
 * Test helper: `streamssl` commands and fake-engine client processes started on a test
 * host (a network namespace, bench/hosts/network.ts), their output collected as
 * `CliProcess`es. `ip netns exec` execs the command, so the child's pid is the node
 * process itself, and the network's `close` kills whatever is left in the namespace.
 */
import { fileURLToPath } from 'node:url';
import { tsxImportArgs } from '../../server/clients/node-process.js';
import type { TestHost } from '../../bench/hosts/network.js';
import { watchProcess, type CliProcess } from './cli-process.js';

const CLI = fileURLToPath(new URL('../../bin/streamssl.mjs', import.meta.url));
const FAKE_CLIENT = fileURLToPath(new URL('./fake-client-main.ts', import.meta.url));

function start(host: TestHost, args: string[], env: NodeJS.ProcessEnv): CliProcess {
  return watchProcess(host.spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STREAMSSL_LOG: 'info', ...env } }));
}

/** Runs `streamssl ...args` on `host` (info logs on, `env` added). */
export function hostCli(host: TestHost, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return start(host, [CLI, ...args], env);
}

/** Runs a client process with a fake engine (test/support/fake-client-main.ts) on `host`. */
export function hostFakeClient(host: TestHost, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return start(host, [...tsxImportArgs(), FAKE_CLIENT, ...args], env);
}
