/**
 * The client registry as a pool under faults: a task waits for a client only so long
 * while none is connected (not while they are merely busy), and a lease from a client's
 * earlier session cannot free the client that rejoined under its id.
 */
import { describe, expect, it } from 'vitest';
import type { ClientInfo } from '../../server/clients/registry.js';
import { ClientRegistry, NoClientsError } from '../../server/clients/registry.js';
import type { TaskClient } from '../../server/clients/pool.js';

const info: ClientInfo = { pid: 1, hostname: 'here', address: '127.0.0.1' };

function join(registry: ClientRegistry, id: string): string {
  return registry.add(id, info, (assigned): TaskClient => ({ id: assigned, runTask: () => Promise.reject(new Error('not in this test')) }));
}

const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise.then(() => 'resolved', (err: Error) => err), new Promise((resolve) => setTimeout(() => resolve('pending'), ms))]);

describe('ClientRegistry under faults', () => {
  it('gives up on acquire once no client has been connected for the wait', async () => {
    const registry = new ClientRegistry();
    const err = await settledWithin(registry.acquire({ noClientsTimeoutMs: 100 }), 2000);
    expect(err).toBeInstanceOf(NoClientsError);
    expect((err as Error).message).toBe('no client was connected for 0.1 s');
  });

  it('waits without bound for a busy client, and counts the wait only while none is connected', async () => {
    const registry = new ClientRegistry();
    join(registry, 'a');
    const busy = await registry.acquire();
    const waiting = registry.acquire({ noClientsTimeoutMs: 150 });
    expect(await settledWithin(waiting, 300)).toBe('pending'); // busy, but connected
    registry.remove('a');
    join(registry, 'a'); // back in time: the wait starts again next time none is connected
    expect(await settledWithin(waiting, 50)).toBe('resolved');
    registry.release(busy); // a lease from before the rejoin
    const next = registry.acquire({ noClientsTimeoutMs: 5000 });
    expect(await settledWithin(next, 200)).toBe('pending'); // the rejoined client is still busy
    registry.release(await waiting);
    expect(await settledWithin(next, 200)).toBe('resolved');
  });

  it("times a task's wait while no connected client holds its chunk, not while a holder is busy", async () => {
    const registry = new ClientRegistry();
    registry.add('holds-0', { ...info, chunks: [0] }, (id): TaskClient => ({ id, runTask: () => Promise.reject(new Error('not in this test')) }));
    registry.add('holds-1', { ...info, chunks: [1] }, (id): TaskClient => ({ id, runTask: () => Promise.reject(new Error('not in this test')) }));
    const busy = await registry.acquire({ chunk: 1 });
    const forOne = registry.acquire({ chunk: 1, noClientsTimeoutMs: 100 });
    expect(await settledWithin(forOne, 250)).toBe('pending'); // its holder is busy, but connected
    registry.remove('holds-1'); // the only holder of chunk 1 is gone, though another client stays
    const err = await settledWithin(forOne, 1000);
    expect(err).toBeInstanceOf(NoClientsError);
    expect((err as Error).message).toBe('no connected client held chunk 1 for 0.1 s');
    registry.release(busy);
    expect(await settledWithin(registry.acquire({ chunk: 0, noClientsTimeoutMs: 100 }), 250)).toBe('resolved');
  });

  it('fails pending waits when the pool fails, clearing their timers', async () => {
    const registry = new ClientRegistry();
    const waiting = registry.acquire({ noClientsTimeoutMs: 60_000 });
    registry.fail(new Error('every client exited'));
    await expect(waiting).rejects.toThrow('every client exited');
  });

  it('tells listeners about every client that joins', () => {
    const registry = new ClientRegistry();
    const joined: string[] = [];
    const stop = registry.onJoin((c) => joined.push(`${c.id}@${c.pid}`));
    join(registry, 'a');
    join(registry, 'a');
    stop();
    join(registry, 'b');
    expect(joined).toEqual(['a@1', 'a-2@1']);
  });
});
