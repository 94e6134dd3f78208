/**
 * MoCo rows measured over several rounds (`--rounds`): the machine's speed moves
 * between measurements a minute apart, so every (configuration, thread count) is
 * measured once per round, rounds one after the other, and a row reports its
 * median round with every round's figures. The speed-up of each thread count over
 * the first is taken within each round, from neighbouring measurements.
 */
import { lowerMedianBy } from './lower-median.js';
import type { CopiesResult, MocoResult, ThreadScaling } from './report-types.js';

const key = (r: MocoResult) => `${r.config}/${r.threads}`;

/** Each row's median round (the lower median by img/s), carrying every round's img/s in order. */
export function medianRows(rounds: readonly MocoResult[][]): MocoResult[] {
  if (rounds.length === 1) return rounds[0];
  return rounds[0].map((first) => {
    const runs = rounds.map((round) => {
      const same = round.find((r) => key(r) === key(first));
      if (!same) throw new Error(`bench: round without a ${key(first)} row`);
      return same;
    });
    const median = lowerMedianBy(runs, (r) => r.imgPerSec);
    return {
      ...median,
      rounds: runs.map((r) => ({ imgPerSec: r.imgPerSec, ...(r.torch ? { torchImgPerSec: r.torch.imgPerSec } : {}) })),
    };
  });
}

/**
 * For each configuration, each thread count's img/s over the first thread count's, round
 * by round; with `copies` (./moco-copies.ts), also that many one-thread copies' summed
 * img/s over the one-thread row of the same round, where every round has them.
 */
export function threadScaling(rounds: readonly MocoResult[][], copies: readonly CopiesResult[] = []): ThreadScaling[] {
  const out: ThreadScaling[] = [];
  for (const base of rounds[0]) {
    const baseThreads = rounds[0].find((r) => r.config === base.config)!.threads;
    if (base.threads === baseThreads) continue;
    const pairs = rounds.map((round) => {
      const over = round.find((r) => r.config === base.config && r.threads === baseThreads)!;
      const row = round.find((r) => key(r) === key(base))!;
      return { over, row };
    });
    const withTorch = pairs.every(({ over, row }) => over.torch && row.torch);
    const copyRuns = baseThreads === 1 ? rounds.map((_, round) => copies.find((c) => c.config === base.config && c.round === round && c.imgPerSec.length === base.threads)) : [];
    const withCopies = copyRuns.length > 0 && copyRuns.every((c) => c !== undefined);
    out.push({
      config: base.config,
      threads: base.threads,
      baseThreads,
      ratios: pairs.map(({ over, row }) => row.imgPerSec / over.imgPerSec),
      ...(withTorch ? { torchRatios: pairs.map(({ over, row }) => row.torch!.imgPerSec / over.torch!.imgPerSec) } : {}),
      ...(withCopies ? { copiesRatios: copyRuns.map((c, i) => c!.totalImgPerSec / pairs[i].over.imgPerSec) } : {}),
    });
  }
  return out;
}
