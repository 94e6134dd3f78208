/**
 * Windowed sending (issue 13): chunks in flight never exceed the window and arrive in
 * order; the acknowledgement timeout counts from the last acknowledgement, so a receiver
 * that acknowledges late but steadily keeps the transfer alive and one that stops does not;
 * `bytesSent` counts every chunk sent, re-sends included.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobInbox } from '../../shared/blob-inbox.js';
import { sendBlob, TransferError, type BlobChunk, type BlobEventName, type BlobSenderSocket } from '../../shared/transfer.js';

interface Link {
  socket: BlobSenderSocket;
  /** Most chunks emitted and not yet acknowledged at any moment. */
  maxInFlight: number;
  /** Chunk indices in the order the receiver handled them. */
  order: number[];
}

/**
 * A link to `inbox` that delivers one event at a time, each `delayMs(n)` after the previous
 * one was handled (a slow link or a slow receiver), acknowledging in order; once `stopAfter`
 * events were handled it goes silent (acknowledges nothing more).
 */
function serialLink(inbox: BlobInbox, delayMs: (n: number) => number, stopAfter = Infinity): Link {
  const link: Link = { socket: undefined as unknown as BlobSenderSocket, maxInFlight: 0, order: [] };
  let queue = Promise.resolve();
  let handled = 0;
  let inFlight = 0;
  link.socket = {
    timeout: () => ({
      emitWithAck(event: BlobEventName, payload) {
        if (event === 'blob:chunk') link.maxInFlight = Math.max(link.maxInFlight, ++inFlight);
        const reply = new Promise<unknown>((resolve) => {
          queue = queue.then(async () => {
            if (handled >= stopAfter) return new Promise<void>(() => undefined); // silent for good
            await new Promise((r) => setTimeout(r, delayMs(handled)));
            handled++;
            if (event === 'blob:chunk') {
              link.order.push((payload as BlobChunk).index);
              inFlight--;
            }
            resolve(inbox.handle(event, payload));
          });
        });
        return reply;
      },
    }),
  };
  return link;
}

describe('windowed sending', () => {
  it('keeps at most `window` chunks in flight, fills the window, and delivers them in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 900 }), async (window, chunkSize, size) => {
        const inbox = new BlobInbox();
        const link = serialLink(inbox, (n) => (n % 4 === 0 ? 1 : 0));
        const bytes = randomBytes(size);
        const sent = await sendBlob(link.socket, bytes, { chunkSize, window, id: 'b' });
        const chunks = Math.ceil(size / chunkSize);
        expect(link.maxInFlight).toBeLessThanOrEqual(window);
        expect(link.maxInFlight).toBe(Math.min(window, chunks));
        expect(link.order).toEqual([...Array(chunks).keys()]);
        expect(Buffer.from(inbox.take('b').bytes).equals(bytes)).toBe(true);
        expect(sent.bytesSent).toBe(size);
      }),
      { seed: 0x13, numRuns: 40 },
    );
  });

  it('does not time out a receiver that acknowledges late but steadily (each ack within the timeout of the last)', async () => {
    const inbox = new BlobInbox();
    // Every chunk waits for the 7 ahead of it: about 8 x 150 ms from its emit, well past the 400 ms timeout.
    const link = serialLink(inbox, () => 150);
    const bytes = randomBytes(12 * 100);
    const sent = await sendBlob(link.socket, bytes, { chunkSize: 100, window: 8, ackTimeoutMs: 400, id: 'slow' });
    expect(sent.seconds).toBeGreaterThan(1.2); // the acks did come late: 14 events at 150 ms
    expect(link.maxInFlight).toBe(8);
    expect(Buffer.from(inbox.take('slow').bytes).equals(bytes)).toBe(true);
  });

  it('times out a receiver that stops acknowledging, naming the chunk and the timeout', async () => {
    const inbox = new BlobInbox();
    const link = serialLink(inbox, () => 0, 4); // begin and 3 chunks, then silence
    const started = performance.now();
    const err = await sendBlob(link.socket, randomBytes(1000), { chunkSize: 100, window: 4, ackTimeoutMs: 300, id: 'stuck' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).code).toBe('timeout');
    expect((err as Error).message).toMatch(/blob stuck: no acknowledgement within 300 ms of the last one \(chunk 4\/10/);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('counts every chunk sent in bytesSent, those of a damaged attempt included', async () => {
    const inbox = new BlobInbox();
    let damaged = 0;
    const socket: BlobSenderSocket = {
      timeout: () => ({
        async emitWithAck(event, payload) {
          if (event === 'blob:chunk' && (payload as BlobChunk).index === 5 && damaged++ === 0) {
            const data = Uint8Array.from((payload as BlobChunk).data);
            data[0] ^= 1;
            return inbox.handle(event, { ...payload, data });
          }
          return inbox.handle(event, payload);
        },
      }),
    };
    const bytes = randomBytes(1000);
    const sent = await sendBlob(socket, bytes, { chunkSize: 100, window: 3 });
    expect(sent.attempts).toBe(2);
    expect(sent.bytesSent).toBe(2 * bytes.byteLength); // a corrupted byte shows at the end: every chunk went twice
    expect(Buffer.from(inbox.take(sent.id).bytes).equals(bytes)).toBe(true);
  });

  it('refuses a window that is not a positive integer', async () => {
    const inbox = new BlobInbox();
    await expect(sendBlob(serialLink(inbox, () => 0).socket, randomBytes(10), { window: 0 })).rejects.toThrow(/window must be a positive integer/);
  });
});
