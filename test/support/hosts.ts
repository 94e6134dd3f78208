/**
 * Test helper: runs a describe block only where test hosts (network namespaces) can be
 * made, saying why not where they cannot, and gives each test a network it closes after,
 * failing the test when the network left anything behind.
 */
import { afterEach } from 'vitest';
import { createNetwork, hostsUnavailable, type TestNetwork } from '../../bench/hosts/network.js';

/** Why test hosts cannot be made here (printed once), or null. */
export const HOSTS_UNAVAILABLE = await hostsUnavailable();
if (HOSTS_UNAVAILABLE) console.warn(`multi-host tests skipped: ${HOSTS_UNAVAILABLE}`);

/** Networks made by `useNetwork`'s maker in the current test; closed (and checked) after it. */
export function useNetwork(): (names: readonly string[]) => Promise<TestNetwork> {
  const open: TestNetwork[] = [];
  afterEach(async () => {
    const problems: string[] = [];
    for (const net of open.splice(0)) await net.close().catch((err: Error) => problems.push(err.message));
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });
  return async (names) => {
    const net = await createNetwork(names);
    open.push(net);
    return net;
  };
}
