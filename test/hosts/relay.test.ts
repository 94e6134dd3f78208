/**
 * A relay across hosts: `streamssl serve` on one test host and two `streamssl client`s on
 * two others (real engine, real network stacks between them) run a scenario to the end,
 * with the results and checkpoints of the same scenario run on one machine, and
 * results.json records where each client connected from.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { parseScenario } from '../../shared/scenario.js';
import { runScenario } from '../../server/run/run.js';
import { HOSTS_UNAVAILABLE, useNetwork } from '../support/hosts.js';
import { hostCli } from '../support/host-process.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { quickTrainingScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const TOKEN = 'across-hosts-token-0123456789';
const raw = quickTrainingScenario({
  name: 'across-hosts',
  stream: { type: 'random-class', chunks: 2 },
  arms: [{ name: 'relay', mode: 'relay', strategy: { name: 'replay', fraction: 0.2, ratio: 0.25 } }],
});

describe.skipIf(HOSTS_UNAVAILABLE !== null)('a relay across hosts', () => {
  const network = useNetwork();
  const tempDir = useTempDir('streamssl-hosts-relay-');

  it('runs serve and two remote clients to the results of a run on one machine', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.json');
    await writeFile(file, JSON.stringify(raw));
    const net = await network(['coord', 'a', 'b']);
    const across = join(dir, 'across');
    const env = { STREAMSSL_TOKEN: TOKEN };
    const serve = hostCli(net.host('coord'), ['serve', file, '--host', '0.0.0.0', '--port', '4000', '--out', across, '--min-clients', '2'], env);
    await serve.waitFor(/waiting for 2 client/, 60_000);
    const clients = ['a', 'b'].map((name) =>
      hostCli(net.host(name), ['client', '--server', 'http://10.88.0.1:4000', '--client-id', name, '--backend', 'wasm', '--threads', '1'], env),
    );
    expect(await serve.exited, serve.output()).toBe(0);
    for (const client of clients) expect(await client.exited, client.output()).toBe(0);

    const whole = join(dir, 'whole');
    await runScenario({ scenario: parseScenario(raw), outDir: whole, clients: 2, logger: silentLogger() });
    const results = await readResults(across);
    expect(comparableResults(results)).toEqual(comparableResults(await readResults(whole)));
    expect(await checkpointFiles(across)).toEqual(await checkpointFiles(whole));
    // Where each client connected from, as the coordinator saw it: its own host's address.
    expect(results.clients.map((c) => `${c.id} ${c.address}`).sort()).toEqual(['a 10.88.0.2', 'b 10.88.0.3']);
    expect(serve.output() + clients.map((c) => c.output()).join('')).not.toContain(TOKEN);
  }, 240_000);
});
