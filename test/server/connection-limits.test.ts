/**
 * The coordinator's bounds on connections and handshakes, against a real server: idle TCP
 * connections, long-polling sessions and token guessing cost bounded resources and do not
 * keep an honest client out.
 */
import { connect, type Socket as TcpSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { startClient } from '../../client/connection.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { FakeEngine } from '../support/fake-engine.js';
import { logBuffer } from '../support/log-buffer.js';
import { waitUntil } from '../support/wait.js';

type ConnectError = Error & { data?: { code?: string } };

function openIdle(port: number, count: number): Promise<TcpSocket[]> {
  return Promise.all(
    Array.from({ length: count }, () => new Promise<TcpSocket>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.on('error', () => undefined);
    })),
  );
}

function handshake(url: string, token: string): Promise<{ socket: Socket; error?: ConnectError }> {
  const socket = io(url, { auth: { token, protocolVersion: PROTOCOL_VERSION }, reconnection: false, transports: ['websocket'] });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (error: ConnectError) => resolve({ socket, error }));
  });
}

describe('connection bounds', () => {
  let coordinator: Coordinator | undefined;
  const cleanup: Array<() => void> = [];
  afterEach(async () => {
    cleanup.splice(0).forEach((f) => f());
    await coordinator?.close();
    coordinator = undefined;
  });

  it('closes idle unauthenticated connections beyond the bound and after the handshake deadline; an honest client still joins', async () => {
    coordinator = await startTestCoordinator({ connections: { maxUnauthenticated: 5, handshakeTimeoutMs: 1500 } });
    const idle = await openIdle(coordinator.port, 20);
    cleanup.push(() => idle.forEach((s) => s.destroy()));
    await waitUntil(() => coordinator!.connectionCounts().refusedOverLimit >= 15, 'the oldest idle connections were closed');
    expect(coordinator.connectionCounts().unauthenticated).toBeLessThanOrEqual(5);
    const client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine(), clientId: 'honest' });
    cleanup.push(() => void client.close());
    expect(coordinator.registry.list().map((c) => c.id)).toEqual(['honest']);
    await waitUntil(() => idle.every((s) => s.destroyed || s.readyState === 'closed'), 'every idle connection was closed', 10_000);
    expect(coordinator.connectionCounts()).toMatchObject({ unauthenticated: 0, open: 1 });
    expect(coordinator.connectionCounts().closedForHandshakeTimeout).toBeGreaterThanOrEqual(1);
  });

  it('refuses connections over the total bound at once', async () => {
    coordinator = await startTestCoordinator({ connections: { maxConnections: 3, maxUnauthenticated: 3 } });
    const sockets = await openIdle(coordinator.port, 8);
    cleanup.push(() => sockets.forEach((s) => s.destroy()));
    await waitUntil(() => coordinator!.connectionCounts().refusedOverLimit >= 5, 'five connections refused');
    expect(coordinator.connectionCounts().open).toBe(3);
  });

  it('speaks websocket only: a long-polling handshake opens no session', async () => {
    coordinator = await startTestCoordinator();
    const response = await fetch(`${coordinator.url}/socket.io/?EIO=4&transport=polling`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Transport unknown/);
  });

  it('slows token guessing down, then locks the address out (the right token too), logging once per address', async () => {
    const log = logBuffer();
    coordinator = await startTestCoordinator({ logger: log.logger, authLimits: { freeFailures: 2, firstDelayMs: 100, lockoutAfter: 5, lockoutMs: 60_000 } });
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const { socket, error } = await handshake(coordinator.url, `wrong-${i}`);
      socket.close();
      expect(error?.data?.code).toBe('unauthorized');
    }
    // Failures 3, 4 and 5 waited 100, 200 and 400 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    const right = await handshake(coordinator.url, TEST_TOKEN);
    right.socket.close();
    expect(right.error?.data?.code).toBe('locked_out');
    expect(right.error?.message).toMatch(/too many failed handshakes from .*locked out for 60 s more/);
    expect(log.messages(/rejected: invalid token/)).toEqual(['connection rejected: invalid token']);
    expect(log.messages(/^address locked out/)).toEqual(['address locked out after repeated invalid tokens']);
    expect(coordinator.registry.size).toBe(0);
  });
});
