/**
 * A coordinator host that restarts on the same address: `streamssl serve` is SIGKILLed
 * after a checkpoint, `streamssl resume DIR --port P` starts on the same host, and the
 * remote clients (`--reconnect-seconds`), never restarted, find it again; the run ends
 * as an undisturbed one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOURNAL_FILE, RunJournal } from '../../server/run/journal.js';
import { HOSTS_UNAVAILABLE, useNetwork } from '../support/hosts.js';
import { hostCli } from '../support/host-process.js';
import { expectAsUndisturbed, HOST_TOKEN, hostRelayScenario, PORT, serveWithTwoClients } from '../support/host-run.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

const raw = hostRelayScenario('restart', 20);

describe.skipIf(HOSTS_UNAVAILABLE !== null)('a coordinator host that restarts on the same address', () => {
  const network = useNetwork();
  const tempDir = useTempDir('streamssl-hosts-restart-');

  it('is resumed, and its remote clients find it again without being restarted', async () => {
    const dir = tempDir();
    const net = await network(['coord', 'a', 'b']);
    const out = join(dir, 'restart');
    const started = await serveWithTwoClients(net, raw, dir, out, { STREAMSSL_FAKE_TRAIN_DELAY_MS: '2000' });
    const { coord, serve } = started;
    const clients = Object.values(started.clients);
    const finished = async () => (existsSync(join(out, JOURNAL_FILE)) ? (await RunJournal.open(out)).stages('relay').length : 0);
    await waitUntil(async () => (await finished()) > 0, 'a stage is checkpointed', 120_000, 100);
    serve.kill();
    expect(await serve.exited).toBeNull(); // killed by SIGKILL
    const before = await finished();
    expect(before).toBeLessThan(3);
    for (const client of clients) await client.waitFor(/lost the coordinator; reconnecting/, 30_000);

    const resume = hostCli(coord, ['resume', out, '--host', '0.0.0.0', '--port', String(PORT)], { STREAMSSL_TOKEN: HOST_TOKEN });
    expect(await resume.exited, resume.output()).toBe(0);
    for (const client of clients) {
      expect(await client.exited, client.output()).toBe(0);
      expect(client.output()).toMatch(/rejoined the coordinator/);
      expect(client.output().match(/joined the coordinator/g)).toHaveLength(2); // one process, two coordinators
    }
    const journal = await RunJournal.open(out);
    expect(journal.stages('relay').map((s) => s.stage)).toEqual([0, 1, 2]);
    expect(journal.clients.map((c) => c.id).sort()).toEqual(['a', 'b']); // the same two processes, same ids

    await expectAsUndisturbed(raw, out, dir);
  }, 240_000);
});
