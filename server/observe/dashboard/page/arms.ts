/**
 * The arms compared: stages done of planned, the latest stage's kNN and linear accuracy,
 * their distance to the random-init floor and to the joint arm, the coordinator's
 * overhead per stage, and whether the arm runs, is done or failed. In a run over several
 * seeds, each arm once per seed (`relay · seed 3`), compared with the floor and the joint
 * arm of its own seed, and a floor row per seed.
 */
import { armKey, randomInitOf, type ArmView, type RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { plannedStages } from '../../../../shared/observe/eta.js';
import { byId, el, percent, points } from './dom.js';

/** The latest accuracies of the joint arm (of `seed`, in a run over several seeds), the reference the others are read against. */
export function jointReference(s: RunSnapshot, seed?: number): { knnTop1?: number; linearTop1?: number } | null {
  const joint = Object.values(s.arms).find((a) => a.mode === 'joint' && a.seed === seed && a.stages.length > 0);
  return joint ? joint.stages[joint.stages.length - 1] : null;
}

export function renderArms(s: RunSnapshot): void {
  const rows = Object.values(s.arms).map((arm) => {
    const joint = jointReference(s, arm.seed);
    const floor = randomInitOf(s, arm.seed);
    const last = arm.stages[arm.stages.length - 1];
    const planned = plannedStages(s, arm).length;
    const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
    return el(
      'tr',
      { 'data-arm': arm.name, 'data-seed': arm.seed, 'data-state': armState(arm, s) },
      el('td', {}, armKey(arm.name, arm.seed)),
      el('td', {}, arm.mode),
      el('td', {}, `${arm.stages.length}${planned > 0 ? ` / ${planned}` : ''}`),
      el('td', { 'data-metric': 'knn' }, percent(last?.knnTop1)),
      el('td', {}, percent(last?.linearTop1)),
      el('td', {}, points(diff(last?.knnTop1, floor?.knnTop1))),
      el('td', {}, arm.mode === 'joint' ? '' : points(diff(last?.knnTop1, joint?.knnTop1))),
      el('td', {}, overhead(arm)),
      el('td', {}, armState(arm, s)),
    );
  });
  const floors = [{ seed: undefined as number | undefined, floor: s.randomInit }, ...Object.values(s.seeds).map((v) => ({ seed: v.seed as number | undefined, floor: v.randomInit }))];
  for (const { seed, floor } of floors) {
    if (floor) rows.push(el('tr', { 'data-arm': 'random init', 'data-seed': seed }, el('td', {}, armKey('random init', seed)), el('td', {}, 'floor'), el('td', {}), el('td', { 'data-metric': 'knn' }, percent(floor.knnTop1)), el('td', {}, percent(floor.linearTop1)), el('td', {}), el('td', {}), el('td', {}), el('td', {})));
  }
  byId('comparison').querySelector('tbody')!.replaceChildren(...rows);
}

function armState(arm: ArmView, s: RunSnapshot): string {
  if (arm.failed) return 'failed';
  const planned = plannedStages(s, arm).length;
  if (planned > 0 && arm.stages.length >= planned) return 'done';
  if (s.done) return 'stopped';
  return Object.values(s.clients).some((c) => c.task?.arm === arm.name && c.task.seed === arm.seed) ? 'running' : 'waiting';
}

/** Mean and largest coordinator overhead of the arm's stages. */
function overhead(arm: ArmView): string {
  const all = arm.stages.flatMap((st) => st.overheadSeconds ?? []);
  if (all.length === 0) return '';
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  return `${(mean * 1000).toFixed(0)} ms (max ${(Math.max(...all) * 1000).toFixed(0)} ms)`;
}
