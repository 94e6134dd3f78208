/**
 * Readies the memory a fresh process's socket reads land in, ahead of a large download.
 *
 * Node reads a socket into a new 64 KiB buffer each time, garbage once its bytes are copied
 * but freed only when V8 collects its young generation: a blob inbox has that done every
 * `COLLECT_EVERY_BYTES` that arrive (./arrival-garbage.ts), so about that many bytes of
 * read buffers are alive at once, and later reads land in the memory of earlier ones. In a
 * fresh process the first of them are fresh memory, whose pages fault on their first write
 * (about 3 ms per megabyte on the test machine): a client's first state download over a
 * 1 Gbit/s link took 1.15-1.18x the link's time without this warm-up, 1.07-1.09x with it.
 * Writing buffers of that size for twice the collection interval, a slice per turn of the
 * event loop, and letting them go leaves their memory in the allocator's free lists for the
 * first download. (Before the inbox collected as bytes arrive, 30 MB of read buffers piled
 * up per 46 MB download, and as much was readied.)
 */
import { COLLECT_EVERY_BYTES } from './arrival-garbage.js';
import { PREPARE_SLICE_BYTES, writeInTurns } from './buffer-shelf.js';

/** The size Node reads sockets in (libuv's suggestion for each read). */
export const SOCKET_READ_BYTES = 64 * 1024;

/** At most this much is readied: the read buffers alive between two collections, twice over. */
export const MAX_WARM_BYTES = 2 * COLLECT_EVERY_BYTES;

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
