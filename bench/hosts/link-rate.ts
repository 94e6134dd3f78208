/**
 * Link rates as `tc` writes them (`20mbit`, `1gbit`, `100kbit`), and the token bucket
 * (`tbf`) that holds a link to one.
 */

const UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** Bits per second of a rate such as `20mbit`, `100Mbit` or `1gbit`; throws on anything else. */
export function parseLinkRate(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/i.exec(rate.trim());
  if (!m) throw new Error(`link rate "${rate}": expected a number and bit, kbit, mbit or gbit (e.g. 20mbit)`);
  const bits = Number(m[1]) * UNITS[m[2].toLowerCase()];
  if (!(bits >= 8_000)) throw new Error(`link rate "${rate}": below 8 kbit/s`);
  return bits;
}

/** Seconds `bytes` take at `rate` on a link with nothing else on it: the link's own limit. */
export function linkSeconds(bytes: number, rate: string): number {
  return (bytes * 8) / parseLinkRate(rate);
}

/**
 * `tbf` arguments for `rate`: a bucket of 5 ms of traffic (at least 64 KiB, so that a
 * segmentation-offloaded 64 KiB packet passes whole) and 100 ms of queue, a router's.
 */
export function tbfArgs(rate: string): string[] {
  const bits = parseLinkRate(rate);
  const burst = Math.max(64 * 1024, Math.ceil((bits / 8) * 0.005));
  return ['tbf', 'rate', `${Math.round(bits)}bit`, 'burst', String(burst), 'latency', '100ms'];
}
