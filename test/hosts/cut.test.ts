/**
 * A cable pulled for less than the heartbeat while a state crosses a 20 Mbit/s link, then
 * plugged back: the upload continues where TCP left it (no chunk sent twice, a few TCP
 * segments retransmitted), the stage completes on the same client without a retry, and
 * the run ends as an undisturbed one.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostCounters, TestNetwork } from '../../bench/hosts/network.js';
import { RunJournal } from '../../server/run/journal.js';
import { HOSTS_UNAVAILABLE, useNetwork } from '../support/hosts.js';
import { expectAsUndisturbed, hostRelayScenario, logLines, serveWithTwoClients } from '../support/host-run.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

// States of about 15 MB (6 s at 20 Mbit/s); a heartbeat of 30 s, far above the cut.
const raw = hostRelayScenario('cut', 30, {
  stream: { type: 'instance', chunks: 2 },
  model: { widths: [64, 128, 256], blocksPerStage: 1, projectionHidden: 64, projectionDim: 32 },
});
const CUT_MS = 2500;

/** Waits until one of `names` has sent `bytes` since `base`, and returns its name. */
async function firstToSend(net: TestNetwork, names: string[], base: Record<string, HostCounters>, bytes: number): Promise<string> {
  return waitUntil(
    async () => {
      for (const name of names) if ((await net.counters(name)).txBytes - base[name].txBytes > bytes) return name;
      return null;
    },
    `a client sent ${bytes} bytes`,
    120_000,
    100,
  );
}

describe.skipIf(HOSTS_UNAVAILABLE !== null)('a cable cut shorter than the heartbeat, mid-transfer', () => {
  const network = useNetwork();
  const tempDir = useTempDir('streamssl-hosts-cut-');

  it('continues the transfer from where it stopped, on the same client, without a retry', async () => {
    const dir = tempDir();
    const net = await network(['coord', 'a', 'b']);
    await net.shape('a', '20mbit');
    await net.shape('b', '20mbit');
    const out = join(dir, 'cut');
    const { serve, clients } = await serveWithTwoClients(net, raw, dir, out);
    await serve.waitFor(/clients ready/, 60_000);
    const base = { a: await net.counters('a'), b: await net.counters('b') };

    // The first state upload (stage 0's result): cut its sender when 6 MB of it are through.
    const cutName = (await firstToSend(net, ['a', 'b'], base, 6e6)) as 'a' | 'b';
    await net.cut(cutName);
    const atCut = await net.counters(cutName);
    await new Promise((resolve) => setTimeout(resolve, CUT_MS));
    await net.restore(cutName);

    expect(await serve.exited, serve.output()).toBe(0);
    for (const client of Object.values(clients)) expect(await client.exited, client.output()).toBe(0);
    const after = await net.counters(cutName);

    const journal = await RunJournal.open(out);
    expect(journal.retries).toEqual([]);
    const stages = journal.stages('relay');
    expect(stages.map((s) => s.stage)).toEqual([0, 1]);
    expect(stages[0].clientId).toBe(cutName); // the cut stage finished where it ran

    // Application level: every uploaded blob crossed once (no chunk sent twice).
    const uploads = logLines(clients[cutName]).filter((l) => l.msg === 'result blob uploaded') as Array<{ bytes: number; bytesSent: number }>;
    const state = Math.max(...uploads.map((u) => u.bytes));
    expect(state).toBeGreaterThan(12e6);
    for (const u of uploads) expect(u.bytesSent).toBe(u.bytes);
    // Network level: what the cut host sent in all is its uploads plus headers, not its
    // uploads plus the 6 MB that were through before the cut (a restart from zero).
    const uploaded = uploads.reduce((n, u) => n + u.bytes, 0);
    const sent = after.txBytes - base[cutName].txBytes;
    const retransmitted = after.retransSegs - atCut.retransSegs;
    expect(atCut.txBytes - base[cutName].txBytes).toBeLessThan(state);
    expect(sent).toBeGreaterThan(uploaded);
    expect(sent).toBeLessThan(uploaded * 1.2);
    expect(retransmitted).toBeGreaterThan(0);
    console.log(`cut of ${CUT_MS} ms on ${cutName}: state ${state} bytes, bytes sent ${uploads.map((u) => u.bytesSent).join(' + ')}; ${sent} bytes on the wire; ${retransmitted} TCP segments retransmitted after the cut`);

    await expectAsUndisturbed(raw, out, dir);
  }, 240_000);
});
