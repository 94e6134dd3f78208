import { describe, expect, it } from 'vitest';
import { splitStream } from '../../../shared/stream/index.js';
import { expectPartition, makeLabels } from './helpers.js';

const labels = makeLabels(10, 30);
const groups = [[0, 2, 4, 6], [1, 3], [5, 7, 9], [8]];

describe('distant-class stream', () => {
  it('keeps every superclass group whole within one chunk', () => {
    for (const chunks of [1, 2, 3, 4]) {
      for (const seed of [0, 1, 2, 3]) {
        const plan = splitStream({ type: 'distant-class', chunks }, labels, 10, seed, groups);
        expectPartition(plan, labels);
        for (const group of groups) {
          const holders = plan.chunks.filter((c) => group.some((k) => c.classes.includes(k)));
          expect(holders).toHaveLength(1);
          expect(group.every((k) => holders[0].classes.includes(k))).toBe(true);
        }
      }
    }
  });

  it('with as many chunks as groups gives one group per chunk, order set by the seed', () => {
    const orders = new Set<string>();
    for (let seed = 0; seed < 8; seed++) {
      const plan = splitStream({ type: 'distant-class', chunks: 4 }, labels, 10, seed, groups);
      const asGroups = plan.chunks.map((c) => JSON.stringify(c.classes));
      expect(asGroups.sort()).toEqual(groups.map((g) => JSON.stringify([...g].sort((a, b) => a - b))).sort());
      orders.add(plan.chunks.map((c) => c.classes[0]).join());
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it("prefers the scenario's superclasses over the dataset's", () => {
    const mine = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]];
    const plan = splitStream({ type: 'distant-class', chunks: 2, superclasses: mine }, labels, 10, 0, groups);
    expect(plan.chunks.map((c) => c.classes).sort()).toEqual(mine);
  });

  it('does not mutate the groups it is given', () => {
    const copy = JSON.stringify(groups);
    splitStream({ type: 'distant-class', chunks: 3 }, labels, 10, 5, groups);
    expect(JSON.stringify(groups)).toBe(copy);
  });
});
