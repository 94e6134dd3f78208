/** The clients table: one row per client, busy ones first, those gone last. */
import { armKey, type ClientView, type RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { byId, el } from './dom.js';

const ORDER = { training: 0, evaluating: 1, receiving: 2, sending: 3, idle: 4, gone: 5 } as const;

export function renderClients(s: RunSnapshot): void {
  const rows = Object.values(s.clients)
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.id.localeCompare(b.id))
    .map(row);
  byId('clients').querySelector('tbody')!.replaceChildren(...rows);
}

function row(c: ClientView): HTMLTableRowElement {
  const task = c.task;
  const where = task ? [task.arm !== undefined ? armKey(task.arm, task.seed) : task.kind, task.stage !== undefined ? `stage ${task.stage}` : '', task.steps ? `${task.step}/${task.steps}` : ''].filter(Boolean).join(' · ') : '';
  return el(
    'tr',
    { 'data-client': c.id, 'data-state': c.state, 'data-seed': task?.seed },
    el('td', {}, c.id),
    el('td', {}, c.host),
    el('td', {}, [c.backend, c.device].filter(Boolean).join(' / ')),
    el('td', {}, el('span', { class: `state state-${c.state}` }, c.state)),
    el('td', {}, where),
    el('td', {}, task?.loss !== undefined ? task.loss.toFixed(3) : ''),
    el('td', {}, task?.imagesPerSecond !== undefined ? task.imagesPerSecond.toFixed(0) : ''),
    el('td', {}, String(c.restarts)),
  );
}
