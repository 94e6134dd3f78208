import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { ClientStartError, startClient } from '../../client/connection.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import { tokenMatches } from '../../server/net/auth.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { FakeEngine } from '../support/fake-engine.js';

type ConnectError = Error & { data?: { code?: string } };

/** Connects a raw socket.io client; resolves with it, or with the connect_error. */
function connectRaw(url: string, auth: Record<string, unknown>): Promise<{ socket: Socket; error?: ConnectError }> {
  const socket = io(url, { auth, reconnection: false, transports: ['websocket'] });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (error: ConnectError) => resolve({ socket, error }));
  });
}

describe('coordinator admission and payload checks', () => {
  let coordinator: Coordinator | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.close());
    await coordinator?.close();
    coordinator = undefined;
  });
  const raw = async (auth: Record<string, unknown>) => {
    const result = await connectRaw(coordinator!.url, auth);
    sockets.push(result.socket);
    return result;
  };

  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
  });

  it('rejects a wrong token, a missing token and a wrong protocol version', async () => {
    coordinator = await startTestCoordinator();
    const wrong = await raw({ token: 'nope', protocolVersion: PROTOCOL_VERSION });
    expect(wrong.error?.data?.code).toBe('unauthorized');
    expect(wrong.error?.message).toBe('invalid token');
    const missing = await raw({ protocolVersion: PROTOCOL_VERSION });
    expect(missing.error?.data?.code).toBe('bad_request');
    const old = await raw({ token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION + 1 });
    expect(old.error?.data?.code).toBe('version_mismatch');
    expect(old.error?.message).toMatch(`coordinator speaks ${PROTOCOL_VERSION}, client ${PROTOCOL_VERSION + 1}`);
    expect(coordinator.registry.size).toBe(0);
  });

  it('never logs the token, right or wrong', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    coordinator = await startTestCoordinator({ logger: pino({ level: 'trace' }, sink) });
    await raw({ token: 'wrong-secret-value', protocolVersion: PROTOCOL_VERSION });
    const client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine(), clientId: 'logged' });
    await client.close();
    expect(lines.join('')).toMatch(/invalid token/);
    expect(lines.join('')).toMatch(/client joined/);
    expect(lines.join('')).not.toContain('wrong-secret-value');
    expect(lines.join('')).not.toContain(TEST_TOKEN);
  });

  it('startClient fails with a clear ClientStartError on a wrong token', async () => {
    coordinator = await startTestCoordinator();
    const err = await startClient({ url: coordinator.url, token: 'wrong', engine: new FakeEngine() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientStartError);
    expect((err as ClientStartError).code).toBe('unauthorized');
    expect((err as ClientStartError).message).toMatch(/refused the connection: invalid token/);
  });

  it('answers garbage, unknown events and events before hello with failures, and keeps working', async () => {
    coordinator = await startTestCoordinator();
    const { socket, error } = await raw({ token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION });
    expect(error).toBeUndefined();
    const ask = (event: string, ...args: unknown[]) => socket.timeout(2000).emitWithAck(event, ...args);

    expect(await ask('task:result', { taskId: 'x', ok: true })).toMatchObject({ ok: false, code: 'not_ready' });
    // Blob bytes travel over HTTP (test/server/blob-http.test.ts): the socket.io blob events of old are unknown.
    expect(await ask('blob:begin', { id: 'b', size: 1, sha256: 'a'.repeat(64), chunkSize: 1 })).toMatchObject({ ok: false, code: 'unknown_event' });
    expect(await ask('hello', 'garbage')).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await ask('hello', { clientId: '../../etc', pid: -1, hostname: 5 })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await ask('no-such-event', { a: 1 })).toMatchObject({ ok: false, code: 'unknown_event' });
    socket.emit('hello'); // no payload, no callback
    socket.emit('task:progress', { nonsense: true });
    socket.emit('blob:chunk', null);

    const hello = await ask('hello', { clientId: 'raw', pid: 1, hostname: 'test' });
    expect(hello).toEqual({ ok: true, clientId: 'raw', heartbeatSeconds: 300 });
    expect(await ask('hello', { clientId: 'raw', pid: 1, hostname: 'test' })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await ask('task:result', 42)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await ask('task:result', { taskId: 'never-assigned', ok: false, code: 'internal', message: 'x' })).toMatchObject({
      ok: false,
      code: 'unknown_task',
    });
    expect(await ask('blob:chunk', { id: 'nothing', index: 0, data: Buffer.from([1]) })).toMatchObject({ ok: false, code: 'unknown_event' });

    // Still serving: a proper client joins and the raw one is still registered.
    const client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine(), clientId: 'proper' });
    expect(coordinator.registry.list().map((c) => c.id).sort()).toEqual(['proper', 'raw']);
    await client.close();
  });

  it('startClient gives up on an unreachable coordinator with code unreachable', async () => {
    const err = await startClient({ url: 'http://127.0.0.1:9', token: TEST_TOKEN, engine: new FakeEngine(), reconnectionAttempts: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientStartError);
    expect((err as ClientStartError).code).toBe('unreachable');
  });

  it('registers a duplicate client id under a suffix and forgets clients that leave', async () => {
    coordinator = await startTestCoordinator();
    const a = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine(), clientId: 'same' });
    const b = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine(), clientId: 'same' });
    expect([a.clientId, b.clientId]).toEqual(['same', 'same-2']);
    await a.close();
    await expect.poll(() => coordinator!.registry.list().map((c) => c.id)).toEqual(['same-2']);
    await b.close();
  });
});
