/**
 * The warm-up of socket-read buffers (shared/socket-read-warmup.ts): it writes buffers of
 * the size Node reads sockets in for the bytes asked, at most MAX_WARM_BYTES, a slice per
 * turn of the event loop (other events run between), in turn with the memory the buffer
 * shelves ready.
 */
import { describe, expect, it } from 'vitest';
import { BufferShelf, PREPARE_SLICE_BYTES } from '../../shared/buffer-shelf.js';
import { MAX_WARM_BYTES, SOCKET_READ_BYTES, warmSocketReads } from '../../shared/socket-read-warmup.js';

/** Turns of the event loop (setImmediate callbacks) until `p` settles. */
async function turnsUntil<T>(p: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let settled = false;
  const tick = (): void => {
    if (settled) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const value = await p;
  settled = true;
  return { value, turns };
}

describe('warmSocketReads', () => {
  it('writes whole read buffers for the bytes asked, a slice per turn of the event loop', async () => {
    const bytes = MAX_WARM_BYTES - 1000;
    const { value, turns } = await turnsUntil(warmSocketReads(bytes));
    expect(value).toBe(Math.ceil(bytes / SOCKET_READ_BYTES) * SOCKET_READ_BYTES);
    expect(turns).toBeGreaterThanOrEqual(Math.floor(bytes / PREPARE_SLICE_BYTES));
  });

  it('stops at MAX_WARM_BYTES, and does nothing for nothing', async () => {
    await expect(warmSocketReads(MAX_WARM_BYTES * 4)).resolves.toBe(MAX_WARM_BYTES);
    await expect(warmSocketReads(0)).resolves.toBe(0);
    await expect(warmSocketReads(-5)).resolves.toBe(0);
  });

  it('takes its turns with the buffers being readied, after those queued before it', async () => {
    const done: string[] = [];
    const shelf = new BufferShelf().prepare(6 << 20).then(() => done.push('shelf'));
    const warm = warmSocketReads(1 << 20).then(() => done.push('warm'));
    await Promise.all([shelf, warm]);
    expect(done).toEqual(['shelf', 'warm']);
  });
});
