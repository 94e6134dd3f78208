/** The page's header: the scenario, how long the run has been going, totals. */
import type { RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { byId, bytes, duration } from './dom.js';

export function renderHeader(s: RunSnapshot, now: number): void {
  byId('scenario').textContent = s.scenario ?? '';
  const elapsed = s.startedAt === null ? '' : `${duration(Math.max(0, (now - s.startedAt) / 1000))} · `;
  const ended = s.done ? (s.done.ok ? 'run done · ' : `run ended with failures · `) : '';
  const t = s.totals;
  const totals = byId('totals');
  totals.dataset.done = s.done ? (s.done.ok ? 'ok' : 'failed') : '';
  totals.textContent =
    `${ended}${elapsed}session ${s.sessions} · ${t.stagesDone} stages done · ${t.retries} retries · ${t.restarts} restarts · ${t.refused} refused · ` +
    `sent ${bytes(t.bytesToClients)}, received ${bytes(t.bytesFromClients)}`;
}
