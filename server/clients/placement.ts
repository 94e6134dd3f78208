/**
 * Where the chunks' data is held (`clients.placement`): which chunks each spawned client
 * holds, and the check that every chunk has a holder among the connected clients, so that
 * a stage never waits for a client that cannot come.
 */
import type { Scenario } from '../../shared/scenario.js';
import type { ClientSnapshot } from './registry.js';

/**
 * The chunks of each of `clients` spawned clients, or null when every client holds every
 * chunk. Partitioned: client i holds the chunks k with k = i (mod min(clients, chunks)),
 * so with more clients than chunks a chunk has several holders.
 */
export function chunkHoldings(placement: Scenario['clients']['placement'], clients: number, chunks: number): number[][] | null {
  if (placement === 'everywhere') return null;
  const groups = Math.min(clients, chunks);
  return Array.from({ length: clients }, (_, i) => Array.from({ length: chunks }, (_, k) => k).filter((k) => k % groups === i % groups));
}

/** Throws naming the chunks no connected client holds (clients that declare none hold all). */
export function checkChunksHeld(clients: readonly ClientSnapshot[], chunks: number): void {
  if (clients.some((c) => c.chunks === undefined)) return;
  const held = new Set(clients.flatMap((c) => c.chunks ?? []));
  const missing = Array.from({ length: chunks }, (_, k) => k).filter((k) => !held.has(k));
  if (missing.length > 0) {
    throw new Error(`no connected client holds chunk(s) ${missing.join(', ')} (clients declare their chunks with STREAMSSL_CHUNKS; see clients.placement)`);
  }
}
