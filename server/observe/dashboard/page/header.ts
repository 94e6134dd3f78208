/** The page's header: the scenario, how long the run has been going and still needs (as the terminal says), totals. */
import { runEtaSeconds } from '../../../../shared/observe/eta.js';
import type { RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { byId, bytes, duration } from './dom.js';

export function renderHeader(s: RunSnapshot, now: number): void {
  byId('scenario').textContent = s.scenario ?? '';
  const elapsed = s.startedAt === null ? '' : `${duration(Math.max(0, (now - s.startedAt) / 1000))} · `;
  const ended = s.done ? (s.done.ok ? 'run done · ' : `run ended with failures · `) : '';
  const eta = s.done ? null : runEtaSeconds(s);
  const left = eta === null ? '' : `about ${duration(eta)} left · `;
  const t = s.totals;
  const totals = byId('totals');
  totals.dataset.done = s.done ? (s.done.ok ? 'ok' : 'failed') : '';
  totals.dataset.eta = eta === null ? '' : String(Math.round(eta));
  totals.textContent =
    `${ended}${elapsed}${left}session ${s.sessions} · ${t.stagesDone} stages done · ${t.retries} retries · ${t.restarts} restarts · ${t.refused} refused · ` +
    `sent ${bytes(t.bytesToClients)}, received ${bytes(t.bytesFromClients)}`;
}
