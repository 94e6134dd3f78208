/**
 * Measurements in pairs of alternating order (a, b, c, then c, b, a, ...), so a machine
 * whose pace drifts favours no candidate; and the usual way to take one: a child process
 * that prints one result line.
 */
import { RESULT_PREFIX, stopChild, type Child } from './child.js';

/** Each pair's results, in the order of `keys` whatever order the pair ran them in. */
export async function alternatingPairs<K, R>(keys: readonly K[], pairs: number, measure: (key: K) => Promise<R>): Promise<R[][]> {
  const byPair: R[][] = [];
  for (let p = 0; p < pairs; p++) {
    const order = keys.map((_, i) => i);
    if (p % 2 === 1) order.reverse();
    const got: R[] = new Array(keys.length);
    for (const i of order) got[i] = await measure(keys[i]);
    byPair.push(got);
  }
  return byPair;
}

/** The result line of a child that prints one and exits; its stderr joins a failure's message. */
export async function childResult<R>(child: Child, what: string): Promise<R> {
  try {
    const result = (await child.line(RESULT_PREFIX)) as R;
    await child.exited;
    return result;
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}\n${child.stderr()}`);
  } finally {
    await stopChild(child);
  }
}
