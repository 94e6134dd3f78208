/**
 * The spare buffer of shared/buffer-shelf.ts: handed out again only for a value of about its
 * size, only when the shelf allocated it, and readied ahead (`prepare`) without ever
 * writing into memory that was handed out meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { BufferShelf } from '../../shared/buffer-shelf.js';

describe('BufferShelf', () => {
  it('hands out what was given back for a value of between half and all of its size', () => {
    const shelf = new BufferShelf();
    const first = shelf.allocate(1000);
    expect(shelf.give(first)).toBe(true);
    expect(shelf.spareBytes).toBe(1000);
    expect(shelf.allocate(400).buffer).not.toBe(first.buffer); // too small a value: fresh memory
    const again = shelf.allocate(600);
    expect([again.buffer, again.byteLength, shelf.spareBytes]).toEqual([first.buffer, 600, 0]);
    expect(shelf.allocate(600).buffer).not.toBe(first.buffer); // handed out once only
  });

  it('ignores memory it did not allocate, and keeps the larger of two spares', () => {
    const shelf = new BufferShelf();
    expect(shelf.give(new Uint8Array(1000))).toBe(false);
    const small = shelf.allocate(500);
    const large = shelf.allocate(2000);
    expect(shelf.give(small)).toBe(true);
    expect(shelf.give(large)).toBe(true);
    expect(shelf.give(shelf.allocate(10))).toBe(false);
    expect(shelf.spareBytes).toBe(2000);
    shelf.clear();
    expect(shelf.spareBytes).toBe(0);
  });

  it('readies a spare ahead, and lets alone one that serves already', async () => {
    const shelf = new BufferShelf();
    await shelf.prepare(10 << 20);
    expect(shelf.spareBytes).toBe(10 << 20);
    await shelf.prepare(8 << 20); // served by the one readied
    const bytes = shelf.allocate(9 << 20);
    expect([bytes.byteLength, bytes.buffer.byteLength, shelf.spareBytes]).toEqual([9 << 20, 10 << 20, 0]);
    await shelf.prepare(0);
    expect(shelf.spareBytes).toBe(0);
  });

  it('readies the buffers of all shelves in turn, not a slice of each at every turn of the event loop', async () => {
    const done: string[] = [];
    const large = new BufferShelf().prepare(12 << 20).then(() => done.push('large'));
    const small = new BufferShelf().prepare(1 << 20).then(() => done.push('small'));
    await Promise.all([large, small]);
    expect(done).toEqual(['large', 'small']);
  });

  it('readies nothing, and throws nothing, when the memory cannot be had', async () => {
    const shelf = new BufferShelf();
    await expect(shelf.prepare(2 ** 53)).resolves.toBeUndefined();
    expect(shelf.spareBytes).toBe(0);
  });

  it('stops readying a spare once it is handed out: what is written into it stays', async () => {
    const shelf = new BufferShelf();
    const ready = shelf.prepare(16 << 20);
    const bytes = shelf.allocate(16 << 20); // before the first slice was written
    bytes.fill(7);
    await ready;
    expect(bytes.every((v) => v === 7)).toBe(true);
    // Handed out halfway through: the slices after it are not written either.
    const next = shelf.prepare(16 << 20);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const taken = shelf.allocate(16 << 20);
    taken.fill(9);
    await next;
    expect(taken.every((v) => v === 9)).toBe(true);
  });

  it('writes the pages left of a spare lent while it is readied, and none after it was lent', async () => {
    const size = 96 << 20;
    // Page faults of writing `bytes`: one per page not yet written (or per huge page).
    const faultsOfWriting = (bytes: Uint8Array, value: number) => {
      const before = process.resourceUsage().minorPageFault;
      bytes.fill(value);
      return process.resourceUsage().minorPageFault - before;
    };
    const fresh = faultsOfWriting(new Uint8Array(size), 1);
    const shelf = new BufferShelf();
    const ready = shelf.prepare(size);
    await new Promise((resolve) => setImmediate(resolve)); // one slice written
    const lent = shelf.take()!;
    // Its pages were written by `take`, not when the borrower writes its value (without
    // it, all but a slice or two would fault then: the rest is never readied).
    expect(faultsOfWriting(lent, 5)).toBeLessThan(fresh / 4);
    await ready;
    expect([lent.byteLength, lent.every((v) => v === 5), shelf.spareBytes]).toEqual([size, true, 0]);
  });
});
