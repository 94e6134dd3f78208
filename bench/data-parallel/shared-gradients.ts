/**
 * The replicas of a data-parallel step average their gradients through one
 * SharedArrayBuffer: each writes its own section and waits for the others (a barrier on
 * an Atomics counter); then each averages its share of the floats into one output
 * section (the sum over the sections in replica order, times 1 / replicas) and waits
 * again; then all read the whole output. Every float is computed once, by the same
 * operations in the same order whoever computes it, so every replica reads the same
 * bits and their weights stay equal. A replica writes its next step's section only after
 * the second barrier, once every share is done.
 */

/** Bytes of the control block in front of the sections (one cache line). */
const CONTROL_BYTES = 64;
/** Int32 slots of the control block. */
const ARRIVED = 0;
const GENERATION = 1;

export interface SharedGradientsLayout {
  replicas: number;
  /** Floats of one replica's gradients (every trainable weight, in one order). */
  floats: number;
}

/** Size of the buffer `layout` needs. */
export function sharedGradientBytes({ replicas, floats }: SharedGradientsLayout): number {
  return CONTROL_BYTES + (replicas + 1) * floats * Float32Array.BYTES_PER_ELEMENT;
}

export class SharedGradients {
  private readonly control: Int32Array;
  private readonly sections: Float32Array[];
  private readonly averaged: Float32Array;
  /** This replica's share of the floats: [begin, end). */
  private readonly begin: number;
  private readonly end: number;

  /**
   * `index`: this replica's section. `timeoutMs`: how long a barrier waits for the
   * others before it refuses (a replica that died or hangs must not hang the rest).
   */
  constructor(
    buffer: SharedArrayBuffer,
    private readonly layout: SharedGradientsLayout,
    private readonly index: number,
    private readonly timeoutMs = 120_000,
  ) {
    const { replicas, floats } = layout;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`shared gradients: replicas must be a positive integer, got ${replicas}`);
    if (!Number.isInteger(index) || index < 0 || index >= replicas) throw new Error(`shared gradients: replica index ${index} is not in 0..${replicas - 1}`);
    if (buffer.byteLength !== sharedGradientBytes(layout)) {
      throw new Error(`shared gradients: a buffer of ${buffer.byteLength} bytes does not hold ${replicas} sections of ${floats} floats (${sharedGradientBytes(layout)} bytes)`);
    }
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / Int32Array.BYTES_PER_ELEMENT);
    const section = (r: number) => new Float32Array(buffer, CONTROL_BYTES + r * floats * Float32Array.BYTES_PER_ELEMENT, floats);
    this.sections = Array.from({ length: replicas }, (_, r) => section(r));
    this.averaged = section(replicas);
    this.begin = Math.floor((floats * index) / replicas);
    this.end = Math.floor((floats * (index + 1)) / replicas);
  }

  /**
   * The mean over the replicas of each replica's `parts` (this replica's gradients, in
   * the order every replica uses; their lengths sum to the layout's floats). The array
   * returned is shared: read it before the next call.
   */
  average(parts: readonly Float32Array[]): Float32Array {
    const own = this.sections[this.index];
    let at = 0;
    for (const part of parts) {
      if (at + part.length > own.length) throw new Error(`shared gradients: the parts hold more than the layout's ${own.length} floats`);
      own.set(part, at);
      at += part.length;
    }
    if (at !== own.length) throw new Error(`shared gradients: the parts hold ${at} floats, the layout ${own.length}`);
    this.barrier('its gradients');
    this.averageShare();
    this.barrier('its share of the average');
    return this.averaged;
  }

  private averageShare(): void {
    const { begin, end, averaged: out, sections } = this;
    const scale = 1 / sections.length;
    if (sections.length === 2) {
      // The common case without the inner loop: the same operations as below.
      const [a, b] = sections;
      for (let i = begin; i < end; i++) out[i] = Math.fround(a[i] + b[i]) * scale;
      return;
    }
    for (let i = begin; i < end; i++) {
      let sum = sections[0][i];
      for (let r = 1; r < sections.length; r++) sum = Math.fround(sum + sections[r][i]);
      out[i] = sum * scale;
    }
  }

  /** Waits until every replica has arrived here; refuses after the timeout, naming the wait. */
  private barrier(what: string): void {
    const c = this.control;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.layout.replicas - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    const deadline = performance.now() + this.timeoutMs;
    while (Atomics.load(c, GENERATION) === generation) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`shared gradients: replica ${this.index} waited ${this.timeoutMs} ms for the other replicas after writing ${what}`);
      Atomics.wait(c, GENERATION, generation, left);
    }
  }
}
