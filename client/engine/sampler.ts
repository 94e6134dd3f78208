/**
 * Batch composition: epochs over the new chunk in seeded random order, topped up with
 * replay samples drawn in their own seeded cycle.
 */
import { deriveSeed, Random, shuffledIndices } from '../../shared/random.js';

/** The order of one pass over the samples, given the pass's number. */
type PassOrder = (pass: number) => Uint32Array;

/** An endless, seeded stream of indices in [0, count): a fresh shuffle every pass. */
export class EpochCycle {
  private readonly nextOrder: PassOrder;
  private order: Uint32Array;
  private pass: number;
  private position: number;

  /** Passes drawn from `rng` one after the other, or each from its own seed (see `continuedAt`). */
  constructor(
    private readonly count: number,
    source: Random | PassOrder,
    start = 0,
  ) {
    this.nextOrder = typeof source === 'function' ? source : () => source.shuffle(Uint32Array.from({ length: count }, (_, i) => i));
    this.pass = Math.floor(start / count);
    this.position = start % count;
    this.order = this.nextOrder(this.pass);
  }

  /**
   * The stream of a chunk that is trained in several visits: pass p is shuffled by a seed
   * of its own, so a visit can start `start` indices in at the cost of one shuffle,
   * whatever `start` is.
   */
  static continuedAt(count: number, seed: number, start: number): EpochCycle {
    return new EpochCycle(count, (pass) => shuffledIndices(count, deriveSeed(seed, 'pass', pass)), start);
  }

  take(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.position === this.count) {
        this.order = this.nextOrder(++this.pass);
        this.position = 0;
      }
      out.push(this.order[this.position++]);
    }
    return out;
  }
}

/** Where a chunk's new samples come from when its order continues across visits (`TrainTask.chunkOrder`). */
export interface ContinuedOrder {
  /** Seeds the chunk's sequence of shuffled passes: the same for every visit. */
  seed: number;
  /** New samples earlier visits drew from that sequence: this visit starts after them. */
  skip: number;
}

/**
 * Indices into the concatenation [new samples..., replay samples...] for each batch. The
 * new samples follow the stage's own shuffle, or with `continued` the chunk's sequence
 * from where its earlier visits stopped.
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
    continued?: ContinuedOrder,
  ) {
    if (freshCount === 0) throw new Error('cannot train on an empty chunk');
    const rng = new Random(seed);
    this.fresh = continued ? EpochCycle.continuedAt(freshCount, continued.seed, continued.skip) : new EpochCycle(freshCount, rng);
    this.replay = replayPerBatch > 0 && replayCount > 0 ? new EpochCycle(replayCount, rng) : null;
  }

  next(): number[] {
    const replayed = this.replay ? this.replay.take(this.replayPerBatch).map((i) => this.freshCount + i) : [];
    return [...this.fresh.take(this.batchSize - replayed.length), ...replayed];
  }
}
