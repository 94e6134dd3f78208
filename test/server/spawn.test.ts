import { readFile } from 'node:fs/promises';
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { runScenario } from '../../server/run/run.js';
import { spawnClients } from '../../server/clients/spawn.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { tinyScenario } from '../support/scenario.js';
import { waitUntil } from '../support/wait.js';
import { useTempDir } from '../support/temp-dir.js';

const fakeEntry = fileURLToPath(new URL('../support/fake-client-main.ts', import.meta.url));

describe('spawned client processes (fake engine)', () => {
  const tempDir = useTempDir('streamssl-spawn-');

  it('runs a whole scenario with separate client processes, logging to DIR/logs', async () => {
    const scenario = tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }, { name: 'joint', mode: 'joint' }] });
    const { results } = await runScenario({
      scenario,
      outDir: tempDir(),
      clients: 2,
      logger: silentLogger(),
      resultCheck: FAKE_RESULT_CHECK, launch: (ctx) => spawnClients({ count: ctx.count, serverUrl: ctx.url, token: ctx.token, backend: ctx.backend, logDir: ctx.logDir, entry: fakeEntry }),
    });
    expect(results.clients.map((c) => c.id).sort()).toEqual(['client-0', 'client-1']);
    expect(results.arms.map((a) => a.final!.steps)).toEqual([22, 22]);
    const log = await readFile(join(tempDir(), 'logs', 'client-0.log'), 'utf8');
    expect(log).toMatch(/joined the coordinator/);
    expect(log).not.toContain('--token');
  });

  it('a client process with a wrong token exits with code 2 and says why', async () => {
    const coordinator = await startTestCoordinator();
    try {
      const clients = spawnClients({ count: 1, serverUrl: coordinator.url, token: `${TEST_TOKEN}-wrong`, backend: 'cpu', logDir: tempDir(), entry: fakeEntry });
      const [exit] = await clients.allExited;
      expect(exit).toMatch(/client-0 exited with code 2/);
      expect(await readFile(join(tempDir(), 'client-0.log'), 'utf8')).toMatch(/refused the connection: invalid token/);
    } finally {
      await coordinator.close();
    }
  });

  it('a client process that dies is started again with the same id, at most maxRestarts times', async () => {
    const coordinator = await startTestCoordinator();
    try {
      const clients = spawnClients({ count: 1, serverUrl: coordinator.url, token: TEST_TOKEN, backend: 'cpu', logDir: tempDir(), entry: fakeEntry, maxRestarts: 1 });
      const joined = (pid: number | undefined) => coordinator.registry.list().find((c) => c.id === 'client-0' && c.pid === pid);
      // The coordinator registers a client before the client logs that it joined: a kill in
      // between would lose the log line this test counts, so each kill waits for both.
      const joinLines = async () => ((await readFile(join(tempDir(), 'client-0.log'), 'utf8').catch(() => '')).match(/joined the coordinator/g) ?? []).length;
      const first = clients.processes[0];
      await waitUntil(async () => joined(first.pid) && (await joinLines()) === 1, 'client-0 joined and logged it');
      first.kill('SIGKILL');
      await waitUntil(async () => clients.processes[0] !== first && joined(clients.processes[0].pid) && (await joinLines()) === 2, 'client-0 joined again from a new process and logged it');
      clients.processes[0].kill('SIGKILL');
      // No restart left: it has now exited for good.
      expect(await clients.allExited).toEqual([expect.stringMatching(/^client-0 was killed by SIGKILL/)]);
      expect((await readFile(join(tempDir(), 'client-0.log'), 'utf8')).match(/joined the coordinator/g)).toHaveLength(2);
    } finally {
      await coordinator.close();
    }
  });

  it('stop() ends processes that do not exit on their own', async () => {
    const clients = spawnClients({ count: 2, serverUrl: 'http://127.0.0.1:9', token: 't', backend: 'cpu', logDir: tempDir(), entry: fakeEntry });
    await clients.stop(2000);
    expect(clients.processes.every((p) => p.exitCode !== null || p.signalCode !== null)).toBe(true);
  });
});
