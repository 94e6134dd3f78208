/**
 * Property tests of the receiving side of blob transfers (shared/blob-inbox.ts), whatever a
 * peer sends: announcements of any shape, bytes of any length at any offset (repeated,
 * skipped, corrupted, too many), finishes at any time. Every call answers with a coded
 * reply and never throws, the bytes held stay within the budget, and a blob is kept only
 * whole and matching its announced hash, with exactly the bytes sent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobInbox } from '../../shared/blob-inbox.js';
import { ERROR_CODES } from '../../shared/replies.js';
import { sha256Hex, TransferError } from '../../shared/transfer.js';

const SEED = 0x7a5f;
const BUDGET = 100;

/** The blob a peer means to send as 'a' (its hash announced honestly) and what it does. */
const blobA = Uint8Array.from({ length: 40 }, (_, i) => (i * 7) & 255);

type Step =
  | { op: 'open'; payload: unknown }
  | { op: 'append'; id: string; data: Uint8Array; offset: number }
  | { op: 'finish'; id: string };

const id = fc.constantFrom('a', 'b');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('open' as const), payload: fc.anything() }),
  fc.record({
    op: fc.constant('open' as const),
    payload: fc.record({ id, size: fc.integer({ min: -2, max: 64 }), sha256: fc.constantFrom(sha256Hex(blobA), '0'.repeat(64), 'zz') }),
  }),
  fc.record({ op: fc.constant('open' as const), payload: fc.constant({ id: 'a', size: blobA.byteLength, sha256: sha256Hex(blobA) }) }),
  // Honest slices of blob a, at their offsets or at others.
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: -1, max: 45 })).map(([from, length, offset]): Step => ({
    op: 'append',
    id: 'a',
    data: blobA.subarray(from, Math.min(40, from + length)),
    offset: offset < 0 ? from : offset,
  })),
  fc.record({ op: fc.constant('append' as const), id, data: fc.uint8Array({ maxLength: 50 }), offset: fc.integer({ min: -1, max: 70 }) }),
  fc.record({ op: fc.constant('finish' as const), id }),
);

describe('blob inbox properties', () => {
  it('answers any sequence with coded replies, within its budget, and keeps only whole blobs matching their hash', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const inbox = new BlobInbox({ maxHeldBytes: BUDGET });
        const announced = new Map<string, string>();
        for (const s of steps) {
          let reply;
          if (s.op === 'open') {
            reply = inbox.open(s.payload);
            if (reply.ok) announced.set((s.payload as { id: string }).id, (s.payload as { sha256: string }).sha256);
          } else if (s.op === 'append') reply = inbox.append(s.id, s.data, s.offset);
          else reply = inbox.finish(s.id);
          if (!reply.ok) expect(ERROR_CODES).toContain(reply.code);
          expect(inbox.heldBytes).toBeLessThanOrEqual(BUDGET);
        }
        for (const blob of ['a', 'b']) {
          let bytes: Uint8Array | null = null;
          try {
            bytes = inbox.take(blob).bytes;
          } catch (err) {
            expect(err).toBeInstanceOf(TransferError);
          }
          if (bytes) expect(sha256Hex(bytes)).toBe(announced.get(blob));
        }
        inbox.clear();
        expect(inbox.heldBytes).toBe(0);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('refuses each hostile body with its code: garbage announcements, bytes out of order, too many, a wrong hash, a short blob', () => {
    const inbox = new BlobInbox();
    expect(inbox.open(null)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(inbox.open({ id: 'x', size: -1, sha256: 'zz' })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(inbox.append('x', new Uint8Array(1), 0)).toMatchObject({ ok: false, code: 'unknown_blob' });
    expect(inbox.finish('x')).toMatchObject({ ok: false, code: 'unknown_blob' });

    expect(inbox.open({ id: 'gap', size: 40, sha256: sha256Hex(blobA) })).toEqual({ ok: true });
    expect(inbox.append('gap', blobA.subarray(10, 20), 10)).toEqual({ ok: false, code: 'out_of_order', message: 'blob gap: bytes at offset 10, but 0 bytes have arrived (continue from there)' });
    expect(inbox.progress('gap')).toEqual({ received: 0, complete: false }); // kept, to continue from 0
    expect(inbox.append('gap', blobA.subarray(0, 30), 0)).toEqual({ ok: true });
    expect(inbox.append('gap', new Uint8Array(11), 30)).toMatchObject({ ok: false, code: 'too_large', message: 'blob gap: more than the announced 40 bytes arrived; transfer abandoned' });
    expect(inbox.progress('gap')).toBeNull();

    expect(inbox.open({ id: 'short', size: 40, sha256: sha256Hex(blobA) })).toEqual({ ok: true });
    expect(inbox.append('short', blobA.subarray(0, 39), 0)).toEqual({ ok: true });
    expect(inbox.finish('short')).toEqual({ ok: false, code: 'incomplete', message: 'blob short has 39 of 40 bytes' });

    const damaged = Uint8Array.from(blobA);
    damaged[5] ^= 1;
    expect(inbox.open({ id: 'damaged', size: 40, sha256: sha256Hex(blobA) })).toEqual({ ok: true });
    expect(inbox.append('damaged', damaged, 0)).toEqual({ ok: true });
    expect(inbox.finish('damaged')).toMatchObject({ ok: false, code: 'hash_mismatch' });
    expect(() => inbox.take('damaged')).toThrow(TransferError);
    expect(inbox.heldBytes).toBe(0);
  });
});
