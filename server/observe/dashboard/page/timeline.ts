/**
 * Per arm, its stages on one time axis shared by all arms: a bar per stage from its start
 * (end less its training and hand-off time) to its end, labelled with its client(s); the
 * stage running now from its task's start to now; the hand-offs as ticks (bytes and
 * seconds on hover and in the list below); retries and failures as red marks.
 */
import { armKey, type ArmView, type RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { byId, bytes, el, svg } from './dom.js';

const ROW = 34;
const LABEL = 120;
const WIDTH = 1000;

export function renderTimeline(s: RunSnapshot, now: number): void {
  const arms = Object.values(s.arms);
  const start = s.startedAt ?? now;
  const span = Math.max(1000, now - start);
  const x = (t: number) => LABEL + ((t - start) / span) * (WIDTH - LABEL - 10);
  const height = arms.length * ROW + 24;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': 'stages of each arm over time' });
  arms.forEach((arm, i) => root.append(armRow(arm, s, i * ROW, x, now)));
  // The time axis: a tick every fifth of the run so far.
  for (let k = 0; k <= 5; k++) {
    const t = start + (span * k) / 5;
    root.append(svg('text', { x: x(t), y: height - 6, 'text-anchor': k === 0 ? 'start' : k === 5 ? 'end' : 'middle' }, `${((t - start) / 1000).toFixed(0)} s`));
  }
  const handOffs = arms.flatMap((a) => a.handOffs.map((h) => ({ a, h })));
  const list = el('details', {}, el('summary', {}, `${handOffs.length} hand-offs`), ...handOffs.slice(-50).map(({ a, h }) => el('div', { 'data-handoff': a.name, 'data-seed': a.seed }, `${armKey(a.name, a.seed)} stage ${h.stage ?? '?'}: ${h.direction === 'to-client' ? 'to' : 'from'} ${h.client}, ${bytes(h.bytes)} in ${h.seconds.toFixed(2)} s`)));
  byId('timeline').replaceChildren(root, list);
}

function armRow(arm: ArmView, s: RunSnapshot, y: number, x: (t: number) => number, now: number): SVGElement {
  const g = svg('g', { 'data-arm': arm.name, 'data-seed': arm.seed });
  g.append(svg('text', { x: 0, y: y + 20 }, armKey(arm.name, arm.seed)));
  const round = arm.mode === 'fedavg' ? 'round' : 'stage';
  for (const st of arm.stages) {
    const begin = st.t - (st.trainSeconds + st.handoffSeconds) * 1000;
    const bar = svg('rect', { class: 'stage-bar', 'data-stage': st.stage, x: x(begin), y: y + 6, width: Math.max(2, x(st.t) - x(begin)), height: 20 });
    bar.append(svg('title', {}, `${round} ${st.stage} on ${st.clients.join(', ')}: ${st.steps} steps, ${st.trainSeconds.toFixed(1)} s training, ${st.handoffSeconds.toFixed(2)} s hand-off`));
    g.append(bar, svg('text', { x: x(begin) + 3, y: y + 20, fill: '#fff' }, `${st.stage}`));
  }
  for (const c of Object.values(s.clients)) {
    if (c.task?.arm !== arm.name || c.task.seed !== arm.seed) continue;
    const bar = svg('rect', { class: 'stage-bar running', 'data-running': c.task.stage ?? '', x: x(c.task.since), y: y + 6, width: Math.max(2, x(now) - x(c.task.since)), height: 20 });
    bar.append(svg('title', {}, `${round} ${c.task.stage ?? '?'} running on ${c.id}: step ${c.task.step} of ${c.task.steps ?? '?'}`));
    g.append(bar, svg('text', { x: x(c.task.since) + 3, y: y + 20 }, `${c.task.stage ?? ''} ${c.id}`));
  }
  for (const h of arm.handOffs) {
    const tick = svg('rect', { class: 'handoff-mark', x: x(h.t) - 1, y: y + 2, width: 3, height: 4 });
    tick.append(svg('title', {}, `hand-off ${h.direction === 'to-client' ? 'to' : 'from'} ${h.client}: ${bytes(h.bytes)} in ${h.seconds.toFixed(2)} s`));
    g.append(tick);
  }
  for (const r of arm.retries) {
    const mark = svg('line', { class: 'retry-mark', 'data-retry': r.stage ?? '', x1: x(r.t), x2: x(r.t), y1: y + 2, y2: y + 30 });
    mark.append(svg('title', {}, `retry ${r.attempt} of ${round} ${r.stage ?? '?'} (was on ${r.client}): ${r.reason}`));
    g.append(mark);
  }
  if (arm.failed) {
    const mark = svg('text', { x: x(arm.failed.t), y: y + 22, fill: '#d32f2f', 'font-weight': 'bold', 'data-failed': arm.name }, '✕');
    mark.append(svg('title', {}, `failed: ${arm.failed.error}`));
    g.append(mark);
  }
  return g;
}
