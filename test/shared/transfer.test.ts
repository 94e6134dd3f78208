import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobInbox, type BlobInboxOptions } from '../../shared/blob-inbox.js';
import {
  DEFAULT_CHUNK_SIZE,
  knownSha256,
  sendBlob,
  TransferError,
  type BlobChunk,
  type BlobSenderSocket,
} from '../../shared/transfer.js';
import { socketPair, type SocketPair } from '../support/socket-pair.js';

const MB45 = 45 * 1024 * 1024;

/** Wraps a socket so every outgoing chunk passes through `edit` first (a faulty network). */
function tampering(socket: BlobSenderSocket, edit: (chunk: BlobChunk) => BlobChunk): BlobSenderSocket {
  return {
    timeout(ms) {
      const inner = socket.timeout(ms);
      return {
        emitWithAck(event, payload) {
          return inner.emitWithAck(event, event === 'blob:chunk' ? edit(payload as BlobChunk) : payload);
        },
      };
    },
  };
}

/** The chunk with one byte inverted, in a copy (the sender's bytes stay intact). */
function flipByte(chunk: BlobChunk, at: number): BlobChunk {
  const data = Uint8Array.from(chunk.data);
  data[at] ^= 0xff;
  return { ...chunk, data };
}

async function expectTransferError(promise: Promise<unknown>, code: string): Promise<TransferError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransferError);
  expect((err as TransferError).code).toBe(code);
  return err as TransferError;
}

describe('blob transfer over socket.io', () => {
  let pair: SocketPair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });
  /** A fresh pair whose server side receives blobs into `inbox`. */
  const receiving = async (options?: BlobInboxOptions) => {
    pair = await socketPair();
    const inbox = new BlobInbox(options);
    inbox.attach(pair.server);
    return { client: pair.client, inbox };
  };

  it('moves 45 MB client -> server and server -> client under the default maxHttpBufferSize', async () => {
    pair = await socketPair();
    const bytes = randomBytes(MB45);

    const serverInbox = new BlobInbox();
    serverInbox.attach(pair.server);
    const up = await sendBlob(pair.client, bytes);
    const received = serverInbox.take(up.id);
    expect(Buffer.from(received.bytes).equals(bytes)).toBe(true);
    expect(received.seconds).toBeGreaterThan(0);

    const clientInbox = new BlobInbox();
    clientInbox.attach(pair.client);
    const down = await sendBlob(pair.server, bytes);
    expect(Buffer.from(clientInbox.take(down.id).bytes).equals(bytes)).toBe(true);
    expect(() => clientInbox.take(down.id)).toThrow(TransferError);
    expect(DEFAULT_CHUNK_SIZE).toBeLessThan(1e6);
  });

  it('moves empty and odd-sized blobs', async () => {
    const { client, inbox } = await receiving();
    for (const size of [0, 1, 1000, 3 * 1000 + 7]) {
      const bytes = randomBytes(size);
      const sent = await sendBlob(client, bytes, { chunkSize: 1000 });
      expect(Buffer.from(inbox.take(sent.id).bytes).equals(bytes)).toBe(true);
    }
  });

  it('sends a blob corrupted in transit again, and the receiver gets the intact one', async () => {
    const { client, inbox } = await receiving();
    const bytes = randomBytes(3 * DEFAULT_CHUNK_SIZE + 5);
    let damaged = 0;
    const corruptOnce = tampering(client, (chunk) => (chunk.index === 1 && damaged++ === 0 ? flipByte(chunk, 17) : chunk));
    const resends: string[] = [];
    const sent = await sendBlob(corruptOnce, bytes, { onResend: (err, attempt) => resends.push(`${attempt} ${err.code}`) });
    expect(sent.attempts).toBe(2);
    expect(resends).toEqual(['1 hash_mismatch']);
    expect(Buffer.from(inbox.take(sent.id).bytes).equals(bytes)).toBe(true);
    expect(inbox.heldBytes).toBe(0);
  });

  it('sends received bytes on under the hash verified on arrival, and hashes again bytes changed since', async () => {
    const { client, inbox } = await receiving();
    const bytes = randomBytes(3 * DEFAULT_CHUNK_SIZE + 5);
    await sendBlob(client, bytes, { id: 'in' });
    const received = inbox.take('in').bytes;
    expect(knownSha256(received)).toBe(createHash('sha256').update(bytes).digest('hex'));
    // Relayed unchanged: one attempt, under the remembered hash.
    expect((await sendBlob(client, received, { id: 'on' })).attempts).toBe(1);
    expect(Buffer.from(inbox.take('on').bytes).equals(bytes)).toBe(true);
    // Changed after arrival: the remembered hash is stale, the receiver refuses it once, the resend hashes anew.
    received[0] ^= 0xff;
    const sent = await sendBlob(client, received, { id: 'changed' });
    expect(sent.attempts).toBe(2);
    expect(Buffer.from(inbox.take('changed').bytes).equals(received)).toBe(true);
  });

  it('sends a truncated blob again (a short chunk)', async () => {
    const { client, inbox } = await receiving();
    const bytes = randomBytes(4000);
    let cut = 0;
    const truncateOnce = tampering(client, (chunk) => (chunk.index === 2 && cut++ === 0 ? { ...chunk, data: chunk.data.subarray(0, 10) } : chunk));
    const resends: string[] = [];
    const sent = await sendBlob(truncateOnce, bytes, { chunkSize: 1000, onResend: (err) => resends.push(err.code) });
    expect(resends).toEqual(['incomplete']);
    expect(Buffer.from(inbox.take(sent.id).bytes).equals(bytes)).toBe(true);
  });

  it('gives up on a blob corrupted on every attempt, and never offers it', async () => {
    const { client, inbox } = await receiving();
    const bytes = randomBytes(3 * DEFAULT_CHUNK_SIZE + 5);
    const corrupt = tampering(client, (chunk) => (chunk.index === 1 ? flipByte(chunk, 17) : chunk));
    let resends = 0;
    const err = await expectTransferError(sendBlob(corrupt, bytes, { id: 'corrupt-blob', attempts: 4, onResend: () => resends++ }), 'hash_mismatch');
    expect(err.message).toMatch(/SHA-256 .* \(sent 4 times, damaged each time\)/);
    expect(resends).toBe(3);
    expect(() => inbox.take('corrupt-blob')).toThrow(/never received/);
    expect(inbox.heldBytes).toBe(0);
  });

  it('does not send again what no attempt can fix (a refusal for size)', async () => {
    const { client } = await receiving({ maxBlobBytes: 10 });
    let resends = 0;
    await expectTransferError(sendBlob(client, randomBytes(11), { onResend: () => resends++ }), 'too_large');
    expect(resends).toBe(0);
  });

  it('rejects a blob larger than the receiver allows at begin', async () => {
    const { client, inbox } = await receiving({ maxBlobBytes: 1000 });
    const err = await expectTransferError(sendBlob(client, randomBytes(1001)), 'too_large');
    expect(err.message).toMatch(/exceeds the limit of 1000 bytes/);
    const ok = await sendBlob(client, randomBytes(1000));
    expect(inbox.take(ok.id).bytes.byteLength).toBe(1000);
  });

  it('rejects oversized, out-of-order and unknown chunks', async () => {
    const { client, inbox } = await receiving();
    const bytes = randomBytes(4000);
    const padded = tampering(client, (chunk) => ({ ...chunk, data: new Uint8Array(chunk.data.byteLength + 1) }));
    await expectTransferError(sendBlob(padded, bytes, { chunkSize: 1000 }), 'too_large');
    const skipping = tampering(client, (chunk) => ({ ...chunk, index: chunk.index + 1 }));
    await expectTransferError(sendBlob(skipping, bytes, { chunkSize: 1000 }), 'out_of_order');
    const renamed = tampering(client, (chunk) => ({ ...chunk, id: 'someone-else' }));
    await expectTransferError(sendBlob(renamed, bytes, { chunkSize: 1000 }), 'unknown_blob');
    expect(inbox.heldBytes).toBe(4000); // the renamed transfer's begin is still pending
    inbox.clear();
    expect(inbox.heldBytes).toBe(0);
  });

  it('answers garbage blob payloads with bad_request instead of throwing', () => {
    const inbox = new BlobInbox();
    expect(inbox.handle('blob:begin', null)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(inbox.handle('blob:begin', { id: 'x', size: -1, sha256: 'zz', chunkSize: 0 })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(inbox.handle('blob:chunk', { id: 'x', index: 0, data: 'text' })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(inbox.handle('blob:end', { id: 'x' })).toMatchObject({ ok: false, code: 'unknown_blob' });
  });

  it('times out when the receiver never acknowledges', async () => {
    pair = await socketPair(); // nobody attached an inbox on the server side
    await expectTransferError(sendBlob(pair.client, randomBytes(10), { ackTimeoutMs: 200 }), 'timeout');
  });

  it('documents why the default chunk is 512 KiB: a 1 MiB chunk breaks the default 1e6-byte limit', async () => {
    const { client } = await receiving();
    const disconnected = new Promise<void>((resolve) => client.once('disconnect', () => resolve()));
    const err = await sendBlob(client, randomBytes(2 * 1024 * 1024), { chunkSize: 1024 * 1024, ackTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect(['disconnected', 'timeout']).toContain((err as TransferError).code);
    await disconnected;
  });
});
