import { describe, expect, it } from 'vitest';
import { measureHandoffLinks } from '../../bench/handoff-link.js';
import { listNamespaces } from '../../bench/hosts/commands.js';
import { NAMESPACE_PREFIX } from '../../bench/hosts/network.js';
import { HOSTS_UNAVAILABLE } from '../support/hosts.js';

describe.skipIf(HOSTS_UNAVAILABLE !== null)('the --handoff-link bench', () => {
  it('hands a state across hosts whose links tbf holds to the rate, and removes its hosts', async () => {
    const lines: string[] = [];
    const [r] = await measureHandoffLinks({ config: 'small', links: ['20mbit'], transfers: [{ encoding: 'float16', compression: 'none' }], log: (l) => lines.push(l) });
    expect(r).toMatchObject({ link: '20mbit', transfer: 'float16' });
    // float16 halves the wire bytes of the float32 state, both ways.
    expect(r.wireBytes!.up).toBe(r.wireBytes!.down);
    expect(r.wireBytes!.up).toBeLessThan(r.bytes * 0.51);
    expect(r.linkSeconds).toBeCloseTo((r.wireBytes!.up * 8) / 20e6, 6);
    // No transfer beats its link: the shaping held (a burst of 64 KiB passes at once, hence 0.8).
    expect(r.upSeconds!).toBeGreaterThan(0.8 * r.linkSeconds!);
    expect(r.downSeconds!).toBeGreaterThan(0.8 * r.linkSeconds!);
    expect(r.warm!.upSeconds).toBeGreaterThan(0.8 * r.linkSeconds!);
    expect(r.warm!.downSeconds).toBeGreaterThan(0.8 * r.linkSeconds!);
    expect(lines.join('\n')).toMatch(/20mbit float16/);
    expect((await listNamespaces()).filter((ns) => ns.startsWith(`${NAMESPACE_PREFIX}${process.pid}-`))).toEqual([]);
  });
});
