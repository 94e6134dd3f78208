/**
 * Frees the read buffers of a large arrival as it goes. Node hands each read of an HTTP
 * body to JavaScript as a fresh buffer (64 KiB at most), garbage once its bytes are copied
 * into the blob they belong to, but freed only when V8 next collects its young generation,
 * which the few small objects of a transfer rarely fill. A 46 MB blob left about 700 of
 * them alive at once: the allocator took them from fresh pages, and the receiver paid
 * 6,000-11,000 page faults per blob, a third of its receiving time on loopback. Collecting
 * the young generation every few megabytes that arrive returns them to the allocator, and
 * the next reads reuse their pages.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes that arrive between two collections: 0.5 to 4 MB gave the same loopback hand-off within noise, 8 and 16 MB slower ones. */
export const COLLECT_EVERY_BYTES = 2 << 20;

type Collect = () => void;

/** The collection of V8's young generation, undefined until first needed, null where it cannot be had. */
let collectYoung: Collect | null | undefined;
let arrivedSinceCollection = 0;

/**
 * V8's `gc` function: the global one of a process started with `--expose-gc`, else one
 * exposed now to a new context of its own (the flag applies to contexts created after it
 * is set: the process's own context and its globals are left as they were).
 */
function obtainCollector(): Collect | null {
  type Gc = (options: { type: 'minor' }) => void;
  try {
    let gc = (globalThis as { gc?: Gc }).gc;
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as Gc | undefined;
    }
    return typeof gc === 'function' ? () => gc({ type: 'minor' }) : null;
  } catch {
    return null;
  }
}

/** Counts `bytes` just copied out of a read buffer, collecting the young generation every `COLLECT_EVERY_BYTES`. */
export function noteArrivedBytes(bytes: number): void {
  arrivedSinceCollection += bytes;
  if (arrivedSinceCollection < COLLECT_EVERY_BYTES) return;
  arrivedSinceCollection = 0;
  if (collectYoung === undefined) collectYoung = obtainCollector();
  collectYoung?.();
}
