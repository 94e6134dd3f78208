/**
 * One seed's run on the bus of the run over several seeds it belongs to. Each seed's run
 * keeps its own bus and `DIR/seed-<s>/metrics.jsonl`, as a run of one seed does; what it
 * publishes (its start and end, its arms' plans, stages, retries and failures, its
 * random-init floor) goes on to the whole run's bus with its seed, where the clients' and
 * tasks' events of the shared session already are (their task ids say the seed, see
 * seed-tag.ts). The terminal display, the dashboard, Prometheus and `DIR/metrics.jsonl`
 * follow that one bus. The seed's training progress goes back the other way, so that its
 * own metrics.jsonl and report.html have its loss curves, as a one-seed run's do.
 */
import type { RunEvent, RunEventInput } from '../../shared/observe/run-events.js';
import type { EventSink, RunEvents } from './bus.js';

/** Publishes each event of `from` (a seed's run) on `to` as `seedEvent` makes it; returns a function that stops. */
export function forwardSeedEvents(from: RunEvents, to: EventSink, seed: number): () => void {
  return from.subscribe((e) => {
    const forwarded = seedEvent(e, seed);
    if (forwarded) to.publish(forwarded);
  });
}

/**
 * `e`, of the run of `seed`, as the whole run's bus takes it: its start and end become the
 * seed's (the whole run's session and end are the whole run's), the rest carries the seed;
 * null for what the seed's run does not publish (its session is the whole run's).
 */
export function seedEvent(e: RunEvent, seed: number): RunEventInput | null {
  switch (e.type) {
    case 'run-started':
      return { type: 'seed-started', t: e.t, seed };
    case 'run-done':
      return { type: 'seed-done', t: e.t, seed, ok: e.ok, failures: e.failures, ...(e.error !== undefined ? { error: e.error } : {}) };
    case 'arms-planned':
    case 'stage-done':
    case 'retry':
    case 'arm-failed':
    case 'random-init':
      return { ...e, seed };
    default:
      return null;
  }
}

/** Publishes the progress reports of `seed`'s tasks on `from` (the whole run's bus) on `to` (the seed's), without the seed. */
export function followSeedProgress(from: RunEvents, to: EventSink, seed: number): () => void {
  return from.subscribe((e) => {
    if (e.type !== 'progress' || e.seed !== seed) return;
    const { seed: _seed, ...progress } = e;
    to.publish(progress);
  });
}
