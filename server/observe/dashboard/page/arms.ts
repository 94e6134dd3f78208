/**
 * The arms compared: stages done of planned, the latest stage's kNN and linear accuracy,
 * their distance to the random-init floor and to the joint arm, the coordinator's
 * overhead per stage, and whether the arm runs, is done or failed.
 */
import type { ArmView, RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { byId, el, percent, points } from './dom.js';

/** The joint arm's latest accuracies, the reference the others are read against. */
export function jointReference(s: RunSnapshot): { knnTop1?: number; linearTop1?: number } | null {
  const joint = Object.values(s.arms).find((a) => a.mode === 'joint' && a.stages.length > 0);
  return joint ? joint.stages[joint.stages.length - 1] : null;
}

export function renderArms(s: RunSnapshot): void {
  const joint = jointReference(s);
  const rows = Object.values(s.arms).map((arm) => {
    const last = arm.stages[arm.stages.length - 1];
    const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
    return el(
      'tr',
      { 'data-arm': arm.name, 'data-state': armState(arm, s) },
      el('td', {}, arm.name),
      el('td', {}, arm.mode),
      el('td', {}, `${arm.stages.length}${arm.planned.length > 0 ? ` / ${arm.planned.length}` : ''}`),
      el('td', { 'data-metric': 'knn' }, percent(last?.knnTop1)),
      el('td', {}, percent(last?.linearTop1)),
      el('td', {}, points(diff(last?.knnTop1, s.randomInit?.knnTop1))),
      el('td', {}, arm.mode === 'joint' ? '' : points(diff(last?.knnTop1, joint?.knnTop1))),
      el('td', {}, overhead(arm)),
      el('td', {}, armState(arm, s)),
    );
  });
  if (s.randomInit) rows.push(el('tr', { 'data-arm': 'random init' }, el('td', {}, 'random init'), el('td', {}, 'floor'), el('td', {}), el('td', { 'data-metric': 'knn' }, percent(s.randomInit.knnTop1)), el('td', {}, percent(s.randomInit.linearTop1)), el('td', {}), el('td', {}), el('td', {}), el('td', {})));
  byId('comparison').querySelector('tbody')!.replaceChildren(...rows);
}

function armState(arm: ArmView, s: RunSnapshot): string {
  if (arm.failed) return 'failed';
  if (arm.planned.length > 0 && arm.stages.length >= arm.planned.length) return 'done';
  if (s.done) return 'stopped';
  return Object.values(s.clients).some((c) => c.task?.arm === arm.name) ? 'running' : 'waiting';
}

/** Mean and largest coordinator overhead of the arm's stages. */
function overhead(arm: ArmView): string {
  const all = arm.stages.flatMap((st) => st.overheadSeconds ?? []);
  if (all.length === 0) return '';
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  return `${(mean * 1000).toFixed(0)} ms (max ${(Math.max(...all) * 1000).toFixed(0)} ms)`;
}
