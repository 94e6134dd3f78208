/**
 * A run over several seeds: one row per seed with its state (waiting, running, done,
 * failed), its arms' stages done of planned, its arms running now and its random-init
 * floor. Hidden for a run of one seed.
 */
import type { RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { plannedStages } from '../../../../shared/observe/eta.js';
import { byId, el, percent } from './dom.js';

export function renderSeeds(s: RunSnapshot): void {
  const seeds = Object.values(s.seeds).sort((a, b) => a.seed - b.seed);
  byId('seeds-section').hidden = seeds.length === 0;
  const rows = seeds.map((v) => {
    const arms = Object.values(s.arms).filter((a) => a.seed === v.seed);
    const done = arms.reduce((n, a) => n + Math.max(a.stages.length, a.finishedBefore), 0);
    const planned = arms.reduce((n, a) => n + plannedStages(s, a).length, 0);
    const running = Object.values(s.clients)
      .filter((c) => c.task?.seed === v.seed && c.task.arm !== undefined)
      .map((c) => `${c.task!.arm} on ${c.id}`);
    return el(
      'tr',
      { 'data-seed': v.seed, 'data-state': v.state },
      el('td', {}, String(v.seed)),
      el('td', {}, el('span', { class: `state seed-${v.state}` }, v.state)),
      el('td', {}, `${done} / ${planned || '?'}`),
      el('td', {}, running.join(', ')),
      el('td', { 'data-metric': 'knn' }, percent(v.randomInit?.knnTop1)),
      el('td', {}, v.error ?? arms.filter((a) => a.failed).map((a) => `${a.name} failed`).join(', ')),
    );
  });
  byId('seeds').querySelector('tbody')!.replaceChildren(...rows);
}
