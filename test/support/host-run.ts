/**
 * Test helper for runs across test hosts: `streamssl serve` on the coordinator's host,
 * fake-engine clients on the others (states that fit the model, so the coordinator checks
 * them as it checks real ones), the same scenario run undisturbed in this process for
 * comparison, and the JSON log lines of a process.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestHost, TestNetwork } from '../../bench/hosts/network.js';
import { silentLogger } from '../../shared/log.js';
import { parseScenario } from '../../shared/scenario.js';
import { runScenario } from '../../server/run/run.js';
import type { CliProcess } from './cli-process.js';
import { hostCli, hostFakeClient } from './host-process.js';
import { inProcessClients } from './launcher.js';
import { checkpointFiles, comparableResults, readResults } from './same-run.js';
import { tinyScenario } from './scenario.js';

export const HOST_TOKEN = 'test-hosts-token-0123456789';
export const PORT = 4000;

/** Writes the scenario and starts `streamssl serve` on `host`, resolving once it waits for its clients. */
export async function serveOn(host: TestHost, raw: Record<string, unknown>, dir: string, out: string): Promise<CliProcess> {
  const file = join(dir, 'scenario.json');
  await writeFile(file, JSON.stringify(raw));
  const serve = hostCli(host, ['serve', file, '--host', '0.0.0.0', '--port', String(PORT), '--out', out, '--min-clients', '2'], { STREAMSSL_TOKEN: HOST_TOKEN });
  await serve.waitFor(/waiting for 2 client/, 60_000);
  return serve;
}

/** A fake-engine client named after its host, joining the coordinator at `coordinator`'s address. */
export function fakeClientOn(host: TestHost, coordinator: TestHost, env: NodeJS.ProcessEnv = {}): CliProcess {
  const args = ['--server', `http://${coordinator.address}:${PORT}`, '--client-id', host.name, '--backend', 'cpu', '--reconnect-seconds', '120'];
  return hostFakeClient(host, args, { STREAMSSL_TOKEN: HOST_TOKEN, STREAMSSL_FAKE_FITTING: '1', ...env });
}

/** The fault tests' scenario: one relay arm over the tiny scenario's chunks, with the heartbeat the test needs. */
export function hostRelayScenario(name: string, heartbeatSeconds: number, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return tinyScenario({
    name,
    stream: { type: 'instance', chunks: 3 },
    arms: [{ name: 'relay', mode: 'relay' }],
    clients: { heartbeatSeconds, stageTimeoutSeconds: 300 },
    ...patch,
  }) as unknown as Record<string, unknown>;
}

/** `serve` on host `coord` of `net` (writing into `out`) and a fake client on each of hosts `a` and `b`. */
export async function serveWithTwoClients(
  net: TestNetwork,
  raw: Record<string, unknown>,
  dir: string,
  out: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ coord: TestHost; serve: CliProcess; clients: { a: CliProcess; b: CliProcess } }> {
  const coord = net.host('coord');
  const serve = await serveOn(coord, raw, dir, out);
  return { coord, serve, clients: { a: fakeClientOn(net.host('a'), coord, env), b: fakeClientOn(net.host('b'), coord, env) } };
}

/** Runs `raw` undisturbed into DIR/whole and expects the run in `out` to have its results and checkpoint bytes. */
export async function expectAsUndisturbed(raw: Record<string, unknown>, out: string, dir: string): Promise<void> {
  const whole = join(dir, 'whole');
  await undisturbedRun(raw, whole);
  expect(comparableResults(await readResults(out))).toEqual(comparableResults(await readResults(whole)));
  expect(await checkpointFiles(out)).toEqual(await checkpointFiles(whole));
}

/** Runs `raw` with two in-process fake clients and no disturbance, into `outDir`. */
export async function undisturbedRun(raw: Record<string, unknown>, outDir: string): Promise<void> {
  await runScenario({ scenario: parseScenario(raw), outDir, clients: 2, launch: inProcessClients({ fittingStates: true }).launcher, logger: silentLogger() });
}

/** The JSON log lines a process printed (pino), parsed. */
export function logLines(process: CliProcess): Array<Record<string, unknown>> {
  return process
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
