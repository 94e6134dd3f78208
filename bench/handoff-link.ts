/**
 * Hand-off over real, rate-limited links (`streamssl bench --handoff-link 1gbit,100mbit,20mbit`):
 * three test hosts (bench/hosts/), the coordinator on one and a client on each other, every
 * host's cable held to the rate by tbf in both directions, so each direction of the
 * hand-off (sender -> coordinator, coordinator -> receiver) crosses a bottleneck of that
 * rate. Each direction is set against the link's own limit: its wire bytes at the rate.
 */
import type { TransferSpec } from '../shared/wire/transfer-spec.js';
import { startChild, stopChild, RESULT_PREFIX } from './child.js';
import type { ConfigName } from './configs.js';
import type { LinkChildInput } from './handoff-link-child.js';
import { linkSeconds } from './hosts/link-rate.js';
import { createNetwork, hostsUnavailable } from './hosts/network.js';
import type { HandoffResult } from './report-types.js';
import { entryFile } from '../shared/code-location.js';

const CHILD_ENTRY = entryFile('bench/handoff-link-child');

export interface HandoffLinkOptions {
  config: ConfigName;
  /** Link rates as tc writes them, e.g. `20mbit`. */
  links: readonly string[];
  transfers: readonly TransferSpec[];
  log: (line: string) => void;
}

/** One hand-off per link rate and wire encoding; throws (saying why) where test hosts cannot be made. */
export async function measureHandoffLinks(o: HandoffLinkOptions): Promise<HandoffResult[]> {
  if (o.links.length === 0) return [];
  const why = await hostsUnavailable();
  if (why) throw new Error(`--handoff-link: ${why}`);
  const net = await createNetwork(['coord', 'sender', 'receiver']);
  const results: HandoffResult[] = [];
  try {
    for (const link of o.links) {
      for (const name of ['coord', 'sender', 'receiver']) await net.shape(name, link);
      for (const transfer of o.transfers) {
        const input: LinkChildInput = {
          config: o.config,
          transfer,
          coordinatorAddress: net.host('coord').address,
          clientNamespaces: [net.host('sender').namespace, net.host('receiver').namespace],
        };
        const child = startChild(CHILD_ENTRY, [JSON.stringify(input)], {}, (argv) => ['ip', 'netns', 'exec', net.host('coord').namespace, ...argv]);
        try {
          const r = (await child.line(RESULT_PREFIX)) as HandoffResult;
          const limit = linkSeconds(Math.max(r.wireBytes?.up ?? r.bytes, r.wireBytes?.down ?? r.bytes), link);
          const measured = { ...r, link, linkSeconds: limit };
          o.log(
            `bench:   ${link} ${r.transfer}: ${((r.wireBytes?.up ?? r.bytes) / 1e6).toFixed(1)} MB, up ${r.upSeconds?.toFixed(2)} s, down ${r.downSeconds?.toFixed(2)} s, limit ${limit.toFixed(2)} s each`,
          );
          results.push(measured);
          await child.exited;
        } finally {
          await stopChild(child);
        }
      }
    }
  } finally {
    await net.close();
  }
  return results;
}
