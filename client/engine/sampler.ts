/**
 * Batch composition: epochs over the new chunk in seeded random order, topped up with
 * replay samples drawn in their own seeded cycle.
 */
import { Random } from '../../shared/random.js';

/** An endless, seeded stream of indices in [0, count): a fresh shuffle every pass. */
export class EpochCycle {
  private order: Uint32Array;
  private position = 0;

  constructor(
    private readonly count: number,
    private readonly rng: Random,
  ) {
    this.order = this.reshuffle();
  }

  private reshuffle(): Uint32Array {
    return this.rng.shuffle(Uint32Array.from({ length: this.count }, (_, i) => i));
  }

  take(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.position === this.count) {
        this.order = this.reshuffle();
        this.position = 0;
      }
      out.push(this.order[this.position++]);
    }
    return out;
  }
}

/**
 * Indices into the concatenation [new samples..., replay samples...] for each batch.
 */
export class BatchSampler {
  private readonly fresh: EpochCycle;
  private readonly replay: EpochCycle | null;

  constructor(
    private readonly freshCount: number,
    replayCount: number,
    private readonly batchSize: number,
    private readonly replayPerBatch: number,
    seed: number,
  ) {
    if (freshCount === 0) throw new Error('cannot train on an empty chunk');
    const rng = new Random(seed);
    this.fresh = new EpochCycle(freshCount, rng);
    this.replay = replayPerBatch > 0 && replayCount > 0 ? new EpochCycle(replayCount, rng) : null;
  }

  next(): number[] {
    const replayed = this.replay ? this.replay.take(this.replayPerBatch).map((i) => this.freshCount + i) : [];
    return [...this.fresh.take(this.batchSize - replayed.length), ...replayed];
  }
}
