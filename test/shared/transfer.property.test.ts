/**
 * Property tests of chunked transfers (issue 12): whatever happens to the chunks on the way
 * (random sizes, duplicates, reordering, corruption, truncation, losses), either the exact
 * bytes arrive or the sender fails with a `TransferError` carrying a code; a damaged blob
 * is never offered. The socket is a fake that hands each event to a `BlobInbox` directly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobInbox } from '../../shared/blob-inbox.js';
import { ERROR_CODES } from '../../shared/replies.js';
import { sendBlob, TransferError, type BlobChunk, type BlobEventName, type BlobSenderSocket } from '../../shared/transfer.js';

const SEED = 0x7a5f;

type Fault = 'pass' | 'duplicate' | 'corrupt' | 'truncate' | 'extend' | 'skip-index' | 'repeat-index' | 'lose' | 'rename';
const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Fault>('pass') },
  fc.constantFrom<Fault>('duplicate', 'corrupt', 'truncate', 'extend', 'skip-index', 'repeat-index', 'lose', 'rename'),
);

/** A socket whose n-th event meets the n-th fault (then `pass` once the list runs out). */
function faultySocket(inbox: BlobInbox, faults: readonly Fault[]): BlobSenderSocket {
  let n = 0;
  return {
    timeout: () => ({
      async emitWithAck(event: BlobEventName, payload) {
        const f = faults[n++] ?? 'pass';
        if (f === 'lose') throw new Error('operation has timed out');
        let sent: unknown = payload;
        if (event === 'blob:chunk') {
          const chunk = payload as BlobChunk;
          const data = Uint8Array.from(chunk.data);
          if (f === 'corrupt' && data.length > 0) data[n % data.length] ^= 0x5a;
          sent = {
            ...chunk,
            data: f === 'truncate' ? data.subarray(0, data.length - 1) : f === 'extend' ? Uint8Array.from([...data, 1]) : data,
            index: f === 'skip-index' ? chunk.index + 1 : f === 'repeat-index' ? Math.max(0, chunk.index - 1) : chunk.index,
          };
        }
        if (f === 'rename') sent = { ...(payload as object), id: 'someone-else' };
        if (f === 'duplicate') inbox.handle(event, sent);
        return inbox.handle(event, sent);
      },
    }),
  };
}

describe('transfer properties', () => {
  it('delivers the exact bytes or fails with a coded TransferError, whatever happens to the chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fault, { maxLength: 40 }),
        fc.integer({ min: 1, max: 3 }),
        async (bytes, chunkSize, faults, attempts) => {
          const inbox = new BlobInbox();
          let sent: { id: string } | undefined;
          try {
            sent = await sendBlob(faultySocket(inbox, faults), bytes, { chunkSize, attempts, id: 'blob' });
          } catch (err) {
            expect(err).toBeInstanceOf(TransferError);
            expect(ERROR_CODES).toContain((err as TransferError).code);
          }
          if (sent) expect(inbox.take(sent.id).bytes).toEqual(bytes);
          else {
            // A transfer that failed left nothing that could be taken for good bytes.
            let taken: Uint8Array | null = null;
            try {
              taken = inbox.take('blob').bytes;
            } catch (err) {
              expect(err).toBeInstanceOf(TransferError);
            }
            if (taken) expect(taken).toEqual(bytes);
          }
          inbox.clear();
          expect(inbox.heldBytes).toBe(0);
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('answers any event with any payload with a reply, never a throw, and never offers a blob that does not match its hash', () => {
    const event = fc.constantFrom<BlobEventName>('blob:begin', 'blob:chunk', 'blob:end');
    const payload = fc.oneof(
      fc.anything(),
      fc.record({ id: fc.constantFrom('a', 'b'), size: fc.integer({ min: -2, max: 64 }), sha256: fc.constantFrom('0'.repeat(64), 'zz'), chunkSize: fc.integer({ min: 0, max: 32 }) }),
      fc.record({ id: fc.constantFrom('a', 'b'), index: fc.integer({ min: -1, max: 4 }), data: fc.uint8Array({ maxLength: 40 }) }),
      fc.record({ id: fc.constantFrom('a', 'b') }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(event, payload), { maxLength: 30 }), (events) => {
        const inbox = new BlobInbox({ maxHeldBytes: 100 });
        for (const [name, p] of events) {
          const reply = inbox.handle(name, p);
          if (!reply.ok) expect(ERROR_CODES).toContain(reply.code);
          expect(inbox.heldBytes).toBeLessThanOrEqual(100);
        }
        // Every hash announced here is all zeros or malformed: no blob can have passed verification.
        for (const id of ['a', 'b']) expect(() => inbox.take(id)).toThrow(TransferError);
        inbox.clear();
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
