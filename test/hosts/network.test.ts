import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ip, listNamespaces } from '../../bench/hosts/commands.js';
import { createNetwork, NAMESPACE_PREFIX, type TestHost } from '../../bench/hosts/network.js';
import { linkSeconds, parseLinkRate, tbfArgs } from '../../bench/hosts/link-rate.js';
import { HOSTS_UNAVAILABLE, useNetwork } from '../support/hosts.js';

/** Sends `bytes` from `from` to a sink on `to` and resolves with the seconds the sink took to get them. */
async function sendBetween(from: TestHost, to: TestHost, bytes: number): Promise<{ received: number; seconds: number }> {
  const sink = to.spawn('node', ['-e', `const s=require('net').createServer(c=>{let n=0;const t=performance.now();c.on('data',d=>n+=d.length);c.on('end',()=>{console.log(JSON.stringify({received:n,seconds:(performance.now()-t)/1000}));process.exit(0)})}).listen(7000,()=>console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  sink.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('ready')) await once(sink.stdout!, 'data');
  const source = from.spawn('node', ['-e', `const s=require('net').connect(7000,'${to.address}',()=>s.end(Buffer.alloc(${bytes})))`], { stdio: 'inherit' });
  await Promise.all([once(sink, 'exit'), once(source, 'exit')]);
  return JSON.parse(out.split('\n').filter((l) => l.startsWith('{'))[0]) as { received: number; seconds: number };
}

describe('link rates', () => {
  it('parses tc rates and refuses anything else', () => {
    expect(parseLinkRate('20mbit')).toBe(20e6);
    expect(parseLinkRate('1Gbit')).toBe(1e9);
    expect(linkSeconds(46e6, '100mbit')).toBeCloseTo(3.68, 5);
    expect(() => parseLinkRate('20MB/s')).toThrow(/link rate "20MB\/s"/);
    expect(() => parseLinkRate('1bit')).toThrow(/below/);
    expect(tbfArgs('1gbit')).toEqual(['tbf', 'rate', '1000000000bit', 'burst', '625000', 'latency', '100ms']);
  });
});

describe.skipIf(HOSTS_UNAVAILABLE !== null)('test hosts in network namespaces', () => {
  const network = useNetwork();

  it('carries TCP between hosts, holds a shaped link to its rate, and cuts and restores a cable', async () => {
    const net = await network(['left', 'right']);
    const [left, right] = [net.host('left'), net.host('right')];
    expect([left.address, right.address]).toEqual(['10.88.0.1', '10.88.0.2']);
    const before = await net.counters('left');
    const free = await sendBetween(left, right, 8e6);
    expect(free.received).toBe(8e6);
    const after = await net.counters('left');
    expect(after.txBytes - before.txBytes).toBeGreaterThanOrEqual(8e6);

    await net.shape('left', '40mbit');
    const shaped = await sendBetween(left, right, 4e6);
    expect(shaped.received).toBe(4e6);
    // 4 MB at 40 Mbit/s is 0.8 s: the limit holds (a generous floor: bursts pass at once).
    expect(shaped.seconds).toBeGreaterThan(0.6);
    await net.shape('left', null);

    await net.cut('right');
    const lost = left.spawn('bash', ['-c', `exec 3<>/dev/tcp/${right.address}/7000`], { stdio: 'ignore' });
    const [code] = (await Promise.race([once(lost, 'exit'), new Promise((r) => setTimeout(() => r(['still trying']), 1500))])) as [unknown];
    expect(code).toBe('still trying'); // a cut cable drops packets: no refusal comes back
    lost.kill('SIGKILL');
    await net.restore('right');
    expect((await sendBetween(left, right, 1e6)).received).toBe(1e6);
  });

  it('deletes every namespace it made, also those of a network whose maker died', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    const orphan = `${NAMESPACE_PREFIX}${gone.pid}-1-left`;
    await ip(['netns', 'add', orphan]);
    const net = await createNetwork(['one', 'two']);
    expect(await listNamespaces()).not.toContain(orphan);
    const mine = (await listNamespaces()).filter((ns) => ns.startsWith(`${NAMESPACE_PREFIX}${process.pid}-`));
    expect(mine.length).toBe(3); // two hosts and the switch
    await net.close();
    expect((await listNamespaces()).filter((ns) => mine.includes(ns))).toEqual([]);
    await expect(createNetwork(['Bad Name'])).rejects.toThrow(/host name "Bad Name"/);
  });
});
