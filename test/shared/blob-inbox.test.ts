/**
 * What a peer can make a `BlobInbox` hold (issue 12, weaknesses): several announced 2 GiB
 * blobs, or a half-sent one kept resident without end. Bounded now by a per-connection
 * byte budget (announced sizes count) and an inactivity timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlobInbox, DEFAULT_BLOB_IDLE_TIMEOUT_MS, DEFAULT_MAX_HELD_BYTES } from '../../shared/blob-inbox.js';
import { failure } from '../../shared/replies.js';
import { knownSha256, sha256Hex } from '../../shared/transfer.js';

const begin = (id: string, size: number, bytes?: Uint8Array) => ({ id, size, sha256: bytes ? sha256Hex(bytes) : '0'.repeat(64) });

/** Sends `bytes` whole into `inbox` as blob `id`. */
function deliver(inbox: BlobInbox, id: string, bytes: Uint8Array): void {
  expect(inbox.open(begin(id, bytes.byteLength, bytes))).toEqual({ ok: true });
  expect(inbox.append(id, bytes, 0)).toEqual({ ok: true });
  expect(inbox.finish(id)).toEqual({ ok: true });
}

describe('BlobInbox budgets', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts announced sizes against a per-connection budget, waiting blobs included, and frees it when taken', () => {
    const inbox = new BlobInbox({ maxHeldBytes: 10_000 });
    expect(inbox.open(begin('a', 6000))).toEqual({ ok: true });
    const refused = inbox.open(begin('b', 6000));
    expect(refused).toEqual({ ok: false, code: 'too_large', message: "blob b: 6000 bytes beside the 6000 already held exceeds this connection's budget of 10000 bytes (maxHeldBytes)" });
    expect(inbox.open(begin('c', 4000))).toEqual({ ok: true });
    expect(inbox.heldBytes).toBe(10_000);
    inbox.discard('a');
    inbox.discard('c');

    // A complete blob not yet taken still holds its bytes.
    deliver(inbox, 'done', new Uint8Array(8000).fill(7));
    expect(inbox.open(begin('d', 3000))).toMatchObject({ ok: false, code: 'too_large' });
    expect(inbox.take('done').bytes.byteLength).toBe(8000);
    expect(inbox.open(begin('d', 3000))).toEqual({ ok: true });
    inbox.clear();
  });

  it('by default holds one blob of the largest size, not several', () => {
    expect(DEFAULT_MAX_HELD_BYTES).toBe(2 * 1024 ** 3);
    // The same with a budget of 2000 bytes, so that the test allocates little.
    const inbox = new BlobInbox({ maxHeldBytes: 2000 });
    expect(inbox.open(begin('big-1', 2000))).toEqual({ ok: true });
    expect(inbox.open(begin('big-2', 2000))).toMatchObject({ ok: false, code: 'too_large', message: expect.stringMatching(/budget of 2000 bytes/) });
    inbox.clear();
  });

  it('drops a half-received blob that gets no chunk for idleTimeoutMs, frees its bytes and says so to a late chunk', () => {
    vi.useFakeTimers();
    const expired: string[] = [];
    const inbox = new BlobInbox({ idleTimeoutMs: 1000, onExpired: (_, message) => expired.push(message) });
    expect(inbox.open(begin('slow', 3000))).toEqual({ ok: true });
    expect(inbox.append('slow', new Uint8Array(1000), 0)).toEqual({ ok: true });
    vi.advanceTimersByTime(999);
    expect(inbox.heldBytes).toBe(3000);
    vi.advanceTimersByTime(1);
    expect(inbox.heldBytes).toBe(0);
    expect(expired).toEqual(['blob slow was dropped after 1000 ms without bytes arriving (1000 of 3000 bytes had arrived)']);
    expect(inbox.append('slow', new Uint8Array(1000), 1000)).toEqual({
      ok: false,
      code: 'unknown_blob',
      message: 'blob slow was dropped after 1000 ms without bytes arriving (1000 of 3000 bytes had arrived)',
    });
    expect(() => inbox.take('slow')).toThrow(/dropped after 1000 ms/);
  });

  it('asks an inactivity limit given as a function at each open (a client learns the heartbeat on joining)', () => {
    vi.useFakeTimers();
    let limit = 1000;
    const inbox = new BlobInbox({ idleTimeoutMs: () => limit });
    expect(inbox.open(begin('short', 3000))).toEqual({ ok: true });
    limit = 5000;
    expect(inbox.open(begin('long', 3000))).toEqual({ ok: true });
    vi.advanceTimersByTime(1000);
    expect(inbox.heldBytes).toBe(3000);
    vi.advanceTimersByTime(4000);
    expect(inbox.heldBytes).toBe(0);
    expect(() => inbox.take('long')).toThrow(/dropped after 5000 ms/);
  });

  it('restarts the inactivity timer with every append, and never expires a complete blob', () => {
    vi.useFakeTimers();
    const inbox = new BlobInbox({ idleTimeoutMs: 1000 });
    const bytes = new Uint8Array(3000).map((_, i) => i % 251);
    expect(inbox.open(begin('steady', 3000, bytes))).toEqual({ ok: true });
    for (let index = 0; index < 3; index++) {
      vi.advanceTimersByTime(900);
      expect(inbox.append('steady', bytes.subarray(index * 1000, (index + 1) * 1000), index * 1000)).toEqual({ ok: true });
    }
    vi.advanceTimersByTime(900);
    expect(inbox.finish('steady')).toEqual({ ok: true });
    vi.advanceTimersByTime(10 * DEFAULT_BLOB_IDLE_TIMEOUT_MS);
    expect(inbox.take('steady').bytes).toEqual(bytes);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops the timers of blobs dropped for any reason', () => {
    vi.useFakeTimers();
    const inbox = new BlobInbox({ idleTimeoutMs: 1000 });
    inbox.open(begin('a', 2000));
    inbox.open(begin('b', 2000));
    inbox.open(begin('c', 2000));
    expect(vi.getTimerCount()).toBe(3);
    expect(inbox.append('a', new Uint8Array(3000), 0)).toMatchObject({ code: 'too_large' });
    inbox.discard('b');
    expect(vi.getTimerCount()).toBe(1);
    inbox.clear();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('asks maxBlobBytes and admit at each open, after the announcement is checked', () => {
    let limit = 100;
    let open = false;
    const inbox = new BlobInbox({ maxBlobBytes: () => limit, admit: (b) => (open ? null : failure('not_ready', `not expecting ${b.id}`)) });
    expect(inbox.open({ id: 'x', size: -1 })).toMatchObject({ code: 'bad_request' });
    expect(inbox.open(begin('x', 200))).toMatchObject({ code: 'too_large', message: 'blob x: 200 bytes exceeds the limit of 100 bytes' });
    limit = 1000;
    expect(inbox.open(begin('x', 200))).toEqual({ ok: false, code: 'not_ready', message: 'not expecting x' });
    open = true;
    expect(inbox.open(begin('x', 200))).toEqual({ ok: true });
    inbox.clear();
  });

  it('receives the next blob of about its size into bytes given back, never into memory it did not allocate or still holds', () => {
    const inbox = new BlobInbox();
    const a = Uint8Array.from({ length: 8000 }, (_, i) => i % 251);
    deliver(inbox, 'a', a);
    const first = inbox.take('a').bytes;
    inbox.recycle(first);
    const b = new Uint8Array(6000).fill(3);
    deliver(inbox, 'b', b);
    const second = inbox.take('b').bytes;
    expect(second.buffer).toBe(first.buffer); // the same memory, no fresh buffer
    expect(Buffer.from(second).equals(b)).toBe(true); // holding the new blob only
    // Given back twice: the second time it is the buffer of a blob still waiting, and ignored.
    inbox.recycle(second);
    deliver(inbox, 'c', new Uint8Array(7000).fill(4));
    inbox.recycle(second);
    deliver(inbox, 'd', new Uint8Array(7000).fill(5));
    expect(inbox.take('d').bytes.buffer).not.toBe(first.buffer);
    expect(inbox.take('c').bytes.every((v) => v === 4)).toBe(true);
    // Far smaller blobs and memory of others' do not take the spare.
    const foreign = new Uint8Array(9000);
    inbox.recycle(foreign);
    deliver(inbox, 'e', new Uint8Array(9000).fill(6));
    expect(inbox.take('e').bytes.buffer).not.toBe(foreign.buffer);
    inbox.recycle(second);
    deliver(inbox, 'small', new Uint8Array(100).fill(1));
    expect(inbox.take('small').bytes.buffer).not.toBe(first.buffer);
    // The hash verified for bytes given back is forgotten: their memory holds others now.
    expect(knownSha256(second)).toBe(sha256Hex(second));
    expect(sha256Hex(second)).not.toBe(sha256Hex(b));
  });
});
