/**
 * A partition longer than the heartbeat: one client's cable pulled while it trains a
 * stage. The coordinator drops it and retries the stage on the other client; when the
 * cable is back the client rejoins, its late result is refused naming client and task,
 * it goes on serving, and the run ends as an undisturbed one.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunJournal } from '../../server/run/journal.js';
import { HOSTS_UNAVAILABLE, useNetwork } from '../support/hosts.js';
import { expectAsUndisturbed, hostRelayScenario, serveWithTwoClients } from '../support/host-run.js';
import { useTempDir } from '../support/temp-dir.js';

const HEARTBEAT_S = 6;
const raw = hostRelayScenario('partition', HEARTBEAT_S);

describe.skipIf(HOSTS_UNAVAILABLE !== null)('a partition longer than the heartbeat', () => {
  const network = useNetwork();
  const tempDir = useTempDir('streamssl-hosts-partition-');

  it('retries the stage on the reachable client and refuses the late result cleanly', async () => {
    const dir = tempDir();
    const net = await network(['coord', 'a', 'b']);
    const out = join(dir, 'partition');
    // Each stage trains 6 s: long enough to cut into, and the run outlasts the late result.
    const { serve, clients } = await serveWithTwoClients(net, raw, dir, out, { STREAMSSL_FAKE_TRAIN_DELAY_MS: '6000' });

    // The first client to train a stage loses its cable.
    const [, cutName] = await Promise.race((['a', 'b'] as const).map((n) => clients[n].waitFor(/"kind":"train".*"msg":"task started"|"msg":"task started".*"kind":"train"/, 120_000).then(() => [n, n])));
    const other = cutName === 'a' ? 'b' : 'a';
    await net.cut(cutName);
    const [, taskId] = await serve.waitFor(new RegExp(`"taskId":"([^"]+)","client":"${cutName}"[^\\n]*client lost: retrying`), 60_000);
    await clients[cutName].waitFor(/lost the coordinator; reconnecting/, 60_000);
    await net.restore(cutName);

    await clients[cutName].waitFor(/rejoined the coordinator/, 60_000);
    await serve.waitFor(new RegExp(`refused the result of task ${taskId} from client ${cutName}`), 60_000);
    await clients[cutName].waitFor(/coordinator refused the late result/, 30_000);
    expect(clients[cutName].output()).toMatch(/its result is not uploaded/);

    expect(await serve.exited, serve.output()).toBe(0);
    for (const client of Object.values(clients)) expect(await client.exited, client.output()).toBe(0);
    const journal = await RunJournal.open(out);
    expect(journal.retries.map((r) => `${r.taskId} ${r.client}`)).toEqual([`${taskId} ${cutName}`]);
    const retried = journal.stages('relay').find((s) => s.task.taskId === taskId);
    expect(retried?.clientId).toBe(other);

    await expectAsUndisturbed(raw, out, dir);
  }, 240_000);
});
