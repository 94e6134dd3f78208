/**
 * Readies the memory a fresh process's socket reads land in, ahead of a large download.
 *
 * Node reads a socket into a new 64 KiB buffer each time, freed only when V8 next collects
 * garbage: during a 46 MB state's download about 30 MB of them piled up before a
 * collection, and in a fresh process each was fresh memory, whose pages fault on their
 * first write (about 3 ms per megabyte on the test machine). A client's first state
 * download over a 1 Gbit/s link took 1.15-1.7x the link's time, where later ones, reading
 * into the freed buffers again, took 1.06-1.12x. Writing as many buffers of that size once,
 * a slice per turn of the event loop, and letting them go leaves their memory in the
 * allocator's free lists for the first download.
 */
import { PREPARE_SLICE_BYTES, writeInTurns } from './buffer-shelf.js';

/** The size Node reads sockets in (libuv's suggestion for each read). */
export const SOCKET_READ_BYTES = 64 * 1024;

/** At most this much is readied: by then V8 collects the read buffers and they are reused. */
export const MAX_WARM_BYTES = 64 << 20;

/**
 * Allocates, writes and lets go socket-read-sized buffers for a download of `bytes` (at
 * most {@link MAX_WARM_BYTES}), a slice per turn of the event loop. Resolves with the
 * bytes written. Best effort: memory that cannot be had ends it early.
 */
export function warmSocketReads(bytes: number): Promise<number> {
  const count = Math.ceil(Math.min(Math.max(0, bytes), MAX_WARM_BYTES) / SOCKET_READ_BYTES);
  const perTurn = PREPARE_SLICE_BYTES / SOCKET_READ_BYTES;
  let held: Buffer[] = [];
  return new Promise((resolve) => {
    const finish = (): false => {
      resolve(held.length * SOCKET_READ_BYTES);
      // Garbage from here on: freed at V8's next collection, into the allocator's free lists.
      held = [];
      return false;
    };
    if (count === 0) return void finish();
    writeInTurns(() => {
      const end = Math.min(count, held.length + perTurn);
      try {
        while (held.length < end) held.push(Buffer.allocUnsafeSlow(SOCKET_READ_BYTES).fill(0));
      } catch {
        return finish();
      }
      return held.length < count || finish();
    });
  });
}
