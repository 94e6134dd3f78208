/** The list of notable events (joins, leaves, restarts, retries, refusals, failures, stages done), latest first. */
import type { RunEvent } from '../../../../shared/observe/run-events.js';
import { armKey, type RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { byId, clock, el, percent } from './dom.js';

const SHOWN = 300;
let shownFor = -1;

export function renderEvents(s: RunSnapshot): void {
  // Only when something was added (the list is long and only grows).
  const key = s.notable.length + s.totals.droppedNotable;
  if (key === shownFor) return;
  shownFor = key;
  const items = s.notable
    .slice(-SHOWN)
    .reverse()
    .map((e) => el('li', { 'data-type': e.type }, `${clock(e.t)}  ${describe(e)}`));
  byId('events').replaceChildren(...items);
}

/** One line about `e`. */
export function describe(e: RunEvent): string {
  switch (e.type) {
    case 'client-joined':
      return `${e.client} joined from ${e.host} (${[e.backend, e.device].filter(Boolean).join(', ') || 'backend not said'})`;
    case 'client-left':
      return `${e.client} left: ${e.reason}`;
    case 'client-restarted':
      return `${e.client} restarted (${e.restart} of ${e.maxRestarts}): ${e.how}`;
    case 'retry':
      return `retry ${e.attempt} of ${e.arm !== undefined ? armKey(e.arm, e.seed) : e.taskId}${e.stage !== undefined ? ` stage ${e.stage}` : ''} (was on ${e.client}): ${e.reason}`;
    case 'refused':
      return `refused ${e.event} from ${e.client ?? e.address}: ${e.code}: ${e.message}`;
    case 'arm-failed':
      return `arm ${armKey(e.arm, e.seed)} failed${e.stage !== undefined ? ` at stage ${e.stage}` : ''}: ${e.error}`;
    case 'stage-done':
      return `${armKey(e.arm, e.seed)} stage ${e.stage} done on ${e.clients.join(', ')}: loss ${e.lossFirst.toFixed(3)} → ${e.lossLast.toFixed(3)}, kNN ${percent(e.knnTop1)}, linear ${percent(e.linearTop1)}`;
    case 'seed-done':
      return e.ok ? `seed ${e.seed} done` : `seed ${e.seed} ended: ${e.error ?? e.failures.map((f) => `${f.arm}: ${f.error}`).join('; ')}`;
    case 'run-done':
      return e.ok ? 'run done' : `run ended: ${e.error ?? e.failures.map((f) => `${f.arm}: ${f.error}`).join('; ')}`;
    default:
      return e.type;
  }
}
