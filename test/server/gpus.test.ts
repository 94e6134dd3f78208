/**
 * `--gpus` / `clients.gpus`: spawned client processes get the GPU ids round-robin as
 * CUDA_VISIBLE_DEVICES, and each reports what it got in its hello (fake-engine clients
 * report their environment exactly as real ones do), which results.json records. The
 * chunks a partitioned placement gives each process travel the same way (STREAMSSL_CHUNKS).
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { runScenario, type ClientLauncher } from '../../server/run/run.js';
import { spawnClients } from '../../server/clients/spawn.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const fakeEntry = fileURLToPath(new URL('../support/fake-client-main.ts', import.meta.url));
/** Fake-engine client processes, given the run's GPUs and chunks the way spawnLauncher gives them. */
const fakeSpawn: ClientLauncher = (ctx) =>
  spawnClients({ count: ctx.count, serverUrl: ctx.url, token: ctx.token, backend: ctx.backend, logDir: ctx.logDir, entry: fakeEntry, env: { CUDA_VISIBLE_DEVICES: '' }, ...(ctx.gpus ? { gpus: ctx.gpus } : {}), ...(ctx.holdings ? { holdings: ctx.holdings } : {}) });

describe('GPUs for spawned clients', () => {
  const tempDir = useTempDir('streamssl-gpus-');

  it('assigns clients.gpus round-robin through CUDA_VISIBLE_DEVICES and records each client’s device; chunks follow placement', async () => {
    const scenario = tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }], clients: { gpus: ['0', '1'], placement: 'partitioned', stageTimeoutSeconds: 30 } });
    const { results } = await runScenario({
      scenario,
      outDir: tempDir(),
      clients: 3,
      logger: silentLogger(),
      resultCheck: FAKE_RESULT_CHECK, launch: fakeSpawn,
    });
    expect(results.clients.map((c) => [c.id, c.device]).sort()).toEqual([
      ['client-0', 'cuda:0'],
      ['client-1', 'cuda:1'],
      ['client-2', 'cuda:0'],
    ]);
    // and, with partitioned placement, client i holds chunk i (STREAMSSL_CHUNKS) and runs its stage
    expect(results.arms[0].stages.map((st) => st.client)).toEqual(['client-0', 'client-1', 'client-2']);
  });

  it('the gpus option overrides the scenario; without any, clients report no device', async () => {
    const scenario = tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }], clients: { gpus: ['0'] } });
    const overridden = await runScenario({ scenario, outDir: join(tempDir(), 'a'), clients: 2, gpus: ['7', '5'], logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK, launch: fakeSpawn });
    expect(overridden.results.clients.map((c) => c.device).sort()).toEqual(['cuda:5', 'cuda:7']);
    const plain = await runScenario({ scenario: tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }] }), outDir: join(tempDir(), 'b'), clients: 1, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK, launch: fakeSpawn });
    expect(plain.results.clients[0].device).toBeUndefined();
  });
});
