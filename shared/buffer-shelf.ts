/**
 * One spare buffer for the next large value of about its size (a state to receive). A
 * fresh buffer of a state's size costs more to fill than the copying itself: every 4 KiB
 * page of it faults on its first write (about 140 ms per 46 MB on the 2-core test
 * machine, against 3 ms to write into pages mapped already).
 *
 * Two ways to have a spare: `give` back a buffer this shelf handed out, once nothing
 * reads it any more; or `prepare` one ahead of a value whose size is known before it
 * arrives (an upload the running task will return): its pages are written a slice at a
 * time between other events, so that the faults are paid while the peer still computes.
 */

/**
 * Whether memory of `capacity` bytes serves a value of `size`: it fits, and fills at least
 * half of it (a small value does not pin a large buffer).
 */
export function servesSize(capacity: number, size: number): boolean {
  return size <= capacity && size >= capacity / 2;
}
/** Bytes faulted in per turn of the event loop while preparing (a few ms each). */
export const PREPARE_SLICE_BYTES = 2 << 20;

/** Writes one slice of readied memory; false once it has nothing left to write. */
export type SliceWriter = () => boolean;

/**
 * The buffers being readied, by every shelf of the process, in turn: one slice per turn of
 * the event loop in all, so that a coordinator readying memory for many clients at once
 * (a fedavg round) does not hold its event loop for a slice per client each turn.
 */
const readying: SliceWriter[] = [];

/** Calls `writer` once per turn of the event loop, in turn with every other memory being readied, until it returns false. */
export function writeInTurns(writer: SliceWriter): void {
  readying.push(writer);
  if (readying.length === 1) setImmediate(writeNextSlice);
}

function writeNextSlice(): void {
  const writer = readying[0];
  if (!writer()) readying.shift();
  if (readying.length > 0) setImmediate(writeNextSlice);
}

/** Holds at most one spare buffer; hands out buffers it owns. */
export class BufferShelf {
  /** Buffers this shelf allocated: only these may be given back (a view on anything else may share its memory). */
  private readonly owned = new WeakSet<ArrayBuffer>();
  private spare: Uint8Array | null = null;
  /** The spare while `prepare` still writes its pages: how far it got. */
  private readying: { buffer: Uint8Array; from: number } | null = null;

  /** A buffer of exactly `size` bytes: a view on the spare when it fits, else a fresh one. */
  allocate(size: number): Uint8Array {
    const spare = this.spare;
    if (spare && servesSize(spare.byteLength, size)) {
      this.spare = null;
      return spare.subarray(0, size);
    }
    const buffer = new Uint8Array(size);
    this.owned.add(buffer.buffer);
    return buffer;
  }

  /**
   * The spare, whatever its size, handed out (null: none): for a value whose exact size is
   * known only as it is written into memory that is large enough (`encode`'s `into`, which
   * takes a buffer between its size and twice it). Not given back: it was readied for a
   * value that stays. A spare still being readied has its remaining pages written first:
   * a borrower writes its value at a time of its choosing (a stage's state, at the stage's
   * end), so those pages would otherwise fault then, when the value is awaited.
   */
  take(): Uint8Array | null {
    const spare = this.spare;
    this.spare = null;
    const readying = this.readying;
    if (spare && readying?.buffer === spare) {
      spare.fill(0, readying.from);
      this.readying = null;
    }
    return spare;
  }

  /**
   * Takes back a buffer that `allocate` handed out, whose bytes nothing reads any more:
   * the next value of between half and all of its size is written into it. Buffers this
   * shelf did not allocate are ignored; of two spares the larger is kept. Returns whether
   * it was kept.
   */
  give(bytes: Uint8Array): boolean {
    const buffer = bytes.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.owned.has(buffer)) return false;
    if (this.spare && this.spare.byteLength >= buffer.byteLength) return false;
    this.spare = new Uint8Array(buffer);
    return true;
  }

  /** Bytes of the spare buffer (0: none). */
  get spareBytes(): number {
    return this.spare?.byteLength ?? 0;
  }

  /**
   * Readies a spare for a value of about `size` bytes, unless one that serves it is here:
   * allocates it now and writes its pages a slice per turn of the event loop, stopping as
   * soon as it is handed out (what arrives in it is never overwritten). Resolves when
   * its pages are all written or it was handed out first. Best effort: memory that cannot
   * be had now is not readied (the value gets fresh memory when it comes, or fails then).
   */
  prepare(size: number): Promise<void> {
    const spare = this.spare;
    if (size <= 0 || (spare && servesSize(spare.byteLength, size))) return Promise.resolve();
    let buffer: Uint8Array<ArrayBuffer>;
    try {
      buffer = new Uint8Array(size);
    } catch {
      return Promise.resolve();
    }
    this.owned.add(buffer.buffer);
    this.spare = buffer;
    const readying = { buffer, from: 0 };
    this.readying = readying;
    return new Promise((resolve) => {
      writeInTurns(() => {
        if (this.spare !== buffer || readying.from >= size) {
          if (this.readying === readying) this.readying = null;
          resolve();
          return false;
        }
        const to = Math.min(size, readying.from + PREPARE_SLICE_BYTES);
        buffer.fill(0, readying.from, to);
        readying.from = to;
        return true;
      });
    });
  }

  /** Lets the spare go. */
  clear(): void {
    this.spare = null;
  }
}
