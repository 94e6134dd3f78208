/**
 * The stage x chunk accuracy matrix (kNN on each chunk's test samples after each stage),
 * per arm, as a table whose cells are shaded by accuracy; shown once any stage has it.
 */
import { armKey, type RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { byId, el, percent } from './dom.js';

let shownKey = '';

export function renderMatrix(s: RunSnapshot): void {
  const arms = Object.values(s.arms).filter((a) => a.stages.some((st) => st.perChunk && st.perChunk.length > 0));
  const key = arms.map((a) => `${armKey(a.name, a.seed)}:${a.stages.length}`).join(',');
  if (key === shownKey) return;
  shownKey = key;
  byId('matrix-section').hidden = arms.length === 0;
  const tables = arms.map((arm) => {
    const chunks = [...new Set(arm.stages.flatMap((st) => (st.perChunk ?? []).map((c) => c.chunk)))].sort((a, b) => a - b);
    const head = el('tr', {}, el('th', {}, `${armKey(arm.name, arm.seed)}: after stage ↓ / chunk →`), ...chunks.map((c) => el('th', {}, String(c))));
    const rows = arm.stages.map((st) =>
      el(
        'tr',
        {},
        el('th', {}, String(st.stage)),
        ...chunks.map((c) => {
          const v = st.perChunk?.find((p) => p.chunk === c)?.knnTop1;
          return el('td', { class: 'cell', 'data-value': v, style: v === undefined ? undefined : `background: ${shade(v)}` }, percent(v));
        }),
      ),
    );
    return el('table', { 'data-matrix': arm.name, 'data-seed': arm.seed }, el('thead', {}, head), el('tbody', {}, ...rows));
  });
  byId('matrix').replaceChildren(...tables);
}

/** White (0) to blue (1). */
function shade(v: number): string {
  const light = Math.round(95 - 50 * Math.max(0, Math.min(1, v)));
  return `hsl(210, 70%, ${light}%)`;
}
