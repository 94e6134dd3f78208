/**
 * A run over several seeds as its snapshot holds it: each arm once per seed (an `ArmView`
 * keyed by `armKey(name, seed)`, so that the views of a one-seed run keep their plain arm
 * names), and each seed's state and random-init floor. The terminal, the dashboard and
 * Prometheus read them from here, so they agree on what a seed's arm is called.
 */
import type { RunEventOf } from './run-events.js';

/** Where one seed's run is. */
export type SeedState = 'waiting' | 'running' | 'done' | 'failed';

export interface SeedView {
  seed: number;
  state: SeedState;
  /** Its random-init floor, once evaluated. */
  randomInit: { knnTop1: number; linearTop1: number } | null;
  /** Why it stopped, when it stopped with an error rather than with failed arms. */
  error?: string;
}

/** The snapshot's key of arm `name` of seed `seed` (of a one-seed run when absent); also its label. */
export function armKey(name: string, seed: number | undefined): string {
  return seed === undefined ? name : `${name} · seed ${seed}`;
}

/** Counts of the seeds by state, in the order a reader wants them. */
export function seedCounts(seeds: Readonly<Record<string, SeedView>>): Record<SeedState, number> {
  const counts: Record<SeedState, number> = { done: 0, running: 0, waiting: 0, failed: 0 };
  for (const s of Object.values(seeds)) counts[s.state] += 1;
  return counts;
}

/** The seeds of a new session: those not done wait again until their run starts (its state comes with it). */
export function startSeeds(seeds: Record<string, SeedView>, list: readonly number[]): void {
  for (const seed of list) {
    const old = seeds[seed];
    seeds[seed] = old?.state === 'done' ? old : { seed, state: 'waiting', randomInit: old?.randomInit ?? null };
  }
}

/** The view of `seed`, made (waiting) when the snapshot has none yet. */
export function seedView(seeds: Record<string, SeedView>, seed: number): SeedView {
  return (seeds[seed] ??= { seed, state: 'waiting', randomInit: null });
}

/** Applies a seed's start or end to `seeds`. */
export function applySeedEvent(seeds: Record<string, SeedView>, e: RunEventOf<'seed-started' | 'seed-done'>): void {
  const view = seedView(seeds, e.seed);
  if (e.type === 'seed-started') {
    view.state = 'running';
    delete view.error;
    return;
  }
  view.state = e.ok ? 'done' : 'failed';
  if (e.error !== undefined) view.error = e.error;
}
