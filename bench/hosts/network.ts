/**
 * Test hosts: each host is a network namespace of its own with one interface (`eth0`) and
 * its own address, cabled by a veth pair to a bridge that lives in a namespace of its own
 * (the switch). Every byte between two hosts crosses two real TCP/IP stacks, the veths and
 * the bridge; a host's cable can be rate-limited (`tc tbf`, both directions), pulled out
 * and plugged back. Nothing is created in the root namespace, and `close` deletes every
 * namespace (with its links) and fails, naming them, when anything is left behind.
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2; `hostsUnavailable` says why not.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { ip, listLinks, listNamespaces, namespacePids, sh, tc } from './commands.js';
import { tbfArgs } from './link-rate.js';

/** Every namespace this harness makes starts so, followed by the pid of the process that made it. */
export const NAMESPACE_PREFIX = 'streamssl-';

/** The subnet of every test network (namespaces isolate networks, so they may share it). */
const SUBNET = '10.88.0';

/** One host of a test network. */
export interface TestHost {
  readonly name: string;
  readonly namespace: string;
  /** Its IPv4 address on the test network. */
  readonly address: string;
  /** The switch-side end of its cable, e.g. `h1` in the switch namespace. */
  readonly switchPort: string;
  /** Starts `command args...` on this host (`ip netns exec`). */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
}

/** Counters of a host's interface and TCP stack, for bytes on the wire and retransmissions. */
export interface HostCounters {
  txBytes: number;
  rxBytes: number;
  /** TCP segments this host's stack retransmitted (RetransSegs of /proc/net/snmp). */
  retransSegs: number;
}

export interface TestNetwork {
  readonly hosts: readonly TestHost[];
  /** The host named `name`; throws when there is none. */
  host(name: string): TestHost;
  /** Limits a host's cable to `rate` (e.g. `20mbit`) in both directions, or lifts the limit (null). */
  shape(name: string, rate: string | null): Promise<void>;
  /** Pulls a host's cable out at the switch: its packets are lost, its sockets stay open. */
  cut(name: string): Promise<void>;
  /** Plugs a cut cable back in. */
  restore(name: string): Promise<void>;
  counters(name: string): Promise<HostCounters>;
  /** Kills what runs on the hosts, deletes every namespace; throws naming anything left behind. */
  close(): Promise<void>;
}

let networksMade = 0;

/** Why test hosts cannot be made here, or null when they can. */
export async function hostsUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `test hosts need Linux network namespaces (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'test hosts need root (ip netns add, veth, tc)';
  try {
    await sh('ip', ['-V']);
    await sh('tc', ['-V']);
  } catch {
    return 'test hosts need iproute2 (ip and tc): apt-get install iproute2';
  }
  const probe = `${NAMESPACE_PREFIX}${process.pid}-probe`;
  try {
    await ip(['netns', 'add', probe]);
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message}`;
  } finally {
    await ip(['netns', 'del', probe]).catch(() => undefined);
  }
  return null;
}

/** Deletes namespaces left by harness processes that are gone (a killed test run). */
async function removeOrphans(): Promise<void> {
  for (const ns of await listNamespaces()) {
    const pid = Number(new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`).exec(ns)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    for (const p of await namespacePids(ns)) killQuietly(p);
    await ip(['netns', 'del', ns]).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Creates hosts `names` (addresses 10.88.0.1, .2, ... in that order) on one switch. */
export async function createNetwork(names: readonly string[]): Promise<TestNetwork> {
  if (names.length === 0 || names.length > 200) throw new RangeError(`a test network has 1 to 200 hosts, got ${names.length}`);
  if (new Set(names).size !== names.length) throw new Error(`host names must differ: ${names.join(', ')}`);
  for (const name of names) if (!/^[a-z0-9]{1,12}$/.test(name)) throw new Error(`host name "${name}": use 1-12 lowercase letters and digits`);
  await removeOrphans();
  const tag = `${NAMESPACE_PREFIX}${process.pid}-${++networksMade}`;
  const switchNs = `${tag}-switch`;
  const made: string[] = [];
  const hosts: TestHost[] = [];
  const network: TestNetwork = {
    hosts,
    host: (name) => {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no test host "${name}" (hosts: ${hosts.map((x) => x.name).join(', ')})`);
      return h;
    },
    shape: async (name, rate) => {
      const h = network.host(name);
      const ends: [string, string][] = [
        [h.namespace, 'eth0'],
        [switchNs, h.switchPort],
      ];
      for (const [ns, dev] of ends) {
        if (rate === null) await tc(ns, ['qdisc', 'del', 'dev', dev, 'root']).catch(() => undefined);
        else await tc(ns, ['qdisc', 'replace', 'dev', dev, 'root', ...tbfArgs(rate)]);
      }
    },
    cut: async (name) => void (await ip(['link', 'set', network.host(name).switchPort, 'down'], switchNs)),
    restore: async (name) => void (await ip(['link', 'set', network.host(name).switchPort, 'up'], switchNs)),
    counters: async (name) => readCounters(network.host(name).namespace),
    close: async () => {
      for (const ns of made) for (const pid of await namespacePids(ns)) killQuietly(pid);
      const failures: string[] = [];
      for (const ns of [...made].reverse()) {
        await ip(['netns', 'del', ns]).catch((err: Error) => failures.push(err.message));
      }
      const left = (await listNamespaces()).filter((ns) => ns.startsWith(`${tag}-`));
      const strayLinks = (await listLinks()).filter((link) => /^h\d+$/.test(link) && hosts.some((h) => h.switchPort === link));
      if (left.length > 0 || strayLinks.length > 0 || failures.length > 0) {
        throw new Error(
          `test network ${tag} left behind: ${[...left.map((ns) => `namespace ${ns}`), ...strayLinks.map((l) => `link ${l} in the root namespace`), ...failures].join('; ')}`,
        );
      }
    },
  };
  try {
    await ip(['netns', 'add', switchNs]);
    made.push(switchNs);
    await ip(['link', 'add', 'br0', 'type', 'bridge'], switchNs);
    await ip(['link', 'set', 'br0', 'up'], switchNs);
    for (const [i, name] of names.entries()) {
      const namespace = `${tag}-${name}`;
      const switchPort = `h${i + 1}`;
      const address = `${SUBNET}.${i + 1}`;
      await ip(['netns', 'add', namespace]);
      made.push(namespace);
      // Both ends are born in their namespaces: the root namespace never holds them.
      await ip(['link', 'add', 'eth0', 'netns', namespace, 'type', 'veth', 'peer', 'name', switchPort, 'netns', switchNs]);
      await ip(['link', 'set', switchPort, 'master', 'br0'], switchNs);
      await ip(['link', 'set', switchPort, 'up'], switchNs);
      await ip(['addr', 'add', `${address}/24`, 'dev', 'eth0'], namespace);
      await ip(['link', 'set', 'eth0', 'up'], namespace);
      await ip(['link', 'set', 'lo', 'up'], namespace);
      hosts.push({
        name,
        namespace,
        address,
        switchPort,
        spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', namespace, command, ...args], options),
      });
    }
    // The bridge forwards once its ports have learnt (no STP delay on a fresh bridge).
    await waitReachable(hosts);
  } catch (err) {
    await network.close().catch(() => undefined);
    throw err;
  }
  return network;
}

/** Waits until the first host reaches every other (ARP learnt, links up). */
async function waitReachable(hosts: readonly TestHost[]): Promise<void> {
  const [first, ...rest] = hosts;
  for (const h of rest) {
    await sh('ip', ['netns', 'exec', first.namespace, 'ping', '-c', '1', '-W', '5', h.address]).catch(async () => {
      // ping may be missing: a failed TCP connect to a closed port still proves the path (it is refused, not lost).
      await sh('ip', ['netns', 'exec', first.namespace, 'bash', '-c', `exec 3<>/dev/tcp/${h.address}/9 || true`]);
    });
  }
}

async function readCounters(namespace: string): Promise<HostCounters> {
  const [linkJson, snmp] = await Promise.all([ip(['-j', '-s', 'link', 'show', 'dev', 'eth0'], namespace), sh('ip', ['netns', 'exec', namespace, 'cat', '/proc/net/snmp'])]);
  const stats = (JSON.parse(linkJson) as { stats64: { tx: { bytes: number }; rx: { bytes: number } } }[])[0].stats64;
  const tcpLines = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  const header = tcpLines[0]?.split(/\s+/) ?? [];
  const values = tcpLines[1]?.split(/\s+/) ?? [];
  const retrans = Number(values[header.indexOf('RetransSegs')]);
  return { txBytes: stats.tx.bytes, rxBytes: stats.rx.bytes, retransSegs: Number.isFinite(retrans) ? retrans : 0 };
}
