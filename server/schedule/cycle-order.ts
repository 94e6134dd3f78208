/**
 * The visits of a cyclic relay: which chunk each visit trains, cycle by cycle, and how
 * many of the chunk's one-pass steps each visit runs. Pure, so a resumed run plans the
 * same visits from the same scenario.
 */
import type { RelayOrder } from '../../shared/arm-schema.js';
import { deriveSeed, Random } from '../../shared/random.js';

/**
 * The chunk order of every cycle: `fixed` 0..N-1; `random` a permutation per cycle drawn
 * from `seed`; `random-no-repeat` the same, except that a cycle never starts with the
 * chunk the previous one ended on. Such a draw has that chunk swapped with one drawn
 * uniformly from the other places, which keeps every allowed permutation equally likely
 * (each comes from itself and from exactly one refused draw).
 */
export function cycleOrders(chunks: number, cycles: number, order: RelayOrder, seed: number): number[][] {
  if (!Number.isInteger(chunks) || chunks < 1) throw new Error(`cycle order: expected a positive number of chunks, got ${chunks}`);
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`cycle order: expected a positive number of cycles, got ${cycles}`);
  if (order === 'random-no-repeat' && chunks < 2 && cycles > 1) {
    throw new Error('order random-no-repeat needs at least 2 chunks when cycles > 1: one chunk is always visited twice in a row');
  }
  const orders: number[][] = [];
  for (let c = 0; c < cycles; c++) {
    const cycle = Array.from({ length: chunks }, (_, k) => k);
    if (order !== 'fixed') {
      const rng = new Random(deriveSeed(seed, 'cycle', c));
      rng.shuffle(cycle);
      const last = orders[c - 1]?.[chunks - 1];
      if (order === 'random-no-repeat' && cycle[0] === last) {
        const j = rng.int(1, chunks);
        [cycle[0], cycle[j]] = [cycle[j], cycle[0]];
      }
    }
    orders.push(cycle);
  }
  return orders;
}

/**
 * Steps of the visit in cycle `cycle` (0-based) to a chunk whose one pass takes `steps`:
 * `steps / cycles` each, the first `steps mod cycles` cycles one more, so the visits of a
 * chunk sum exactly to its one-pass steps.
 */
export function visitSteps(steps: number, cycles: number, cycle: number): number {
  return Math.floor(steps / cycles) + (cycle < steps % cycles ? 1 : 0);
}
