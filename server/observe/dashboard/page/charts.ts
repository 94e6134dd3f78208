/**
 * The charts (uPlot): each arm's loss at step resolution (the arm's global step on x, one
 * chart per arm), kNN and linear accuracy per stage for every arm with the random-init
 * floor and the joint arm as dashed reference lines, and, once stages carry per-chunk
 * accuracies, the stage x chunk matrix as a heatmap. Charts are made once and given new
 * data as the run goes on.
 */
import uPlot from 'uplot';
import { armKey, type RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { jointReference } from './arms.js';
import { byId, el } from './dom.js';
import { renderMatrix } from './heatmap.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const charts = new Map<string, { plot: uPlot; key: string; shape: string; box: HTMLElement }>();
const WIDTH = 460;

export function renderCharts(s: RunSnapshot): void {
  const arms = Object.values(s.arms);
  arms.forEach((arm, i) => {
    const pts = arm.loss.points;
    const data: uPlot.AlignedData = [pts.map((p) => p.x), pts.map((p) => p.loss)];
    const label = armKey(arm.name, arm.seed);
    chart(byId('loss'), `loss:${label}`, `${label} (${arm.mode})`, `${pts.length}:${pts[pts.length - 1]?.x}`, data, () => ({
      width: WIDTH,
      height: 200,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { label: 'loss' }],
      series: [{ label: 'step' }, { label: 'loss', stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: false } }],
    }));
  });

  const done = Math.max(0, ...arms.map((a) => (a.stages[a.stages.length - 1]?.stage ?? -1) + 1));
  // The axis spans the planned stages, so that the reference lines show from the first stage on.
  const stages = done > 0 ? Math.max(done, ...arms.map((a) => a.planned.length)) : 0;
  if (stages > 0) {
    const joint = jointReference(s);
    for (const metric of ['knnTop1', 'linearTop1'] as const) {
      const xs = Array.from({ length: stages }, (_, k) => k);
      const armSeries = arms.map((a) => xs.map((k) => a.stages.find((st) => st.stage === k)?.[metric] ?? null));
      // Over several seeds, each seed's floor (its joint arm is a series of its own).
      const seeds = Object.values(s.seeds);
      const refs: Array<{ label: string; value: number | undefined; stroke: string }> =
        seeds.length > 0
          ? seeds.map((v) => ({ label: armKey('random init', v.seed), value: v.randomInit?.[metric], stroke: '#888' }))
          : [
              { label: 'random init', value: s.randomInit?.[metric], stroke: '#888' },
              { label: 'joint (final)', value: joint?.[metric], stroke: '#000' },
            ];
      const shownRefs = refs.filter((r) => r.value !== undefined);
      const data = [xs, ...armSeries, ...shownRefs.map((r) => xs.map(() => r.value!))] as uPlot.AlignedData;
      const title = metric === 'knnTop1' ? 'kNN top-1' : 'linear top-1';
      chart(byId('accuracy'), `acc:${metric}`, title, JSON.stringify(data), data, () => ({
        width: WIDTH,
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: 'stage', incrs: [1] }, { label: title, values: (_u: uPlot, v: number[]) => v.map((x) => `${(x * 100).toFixed(0)}%`) }],
        series: [
          { label: 'stage' },
          ...arms.map((a, i) => ({ label: armKey(a.name, a.seed), stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: true, size: 6 } })),
          ...shownRefs.map((r) => ({ label: r.label, stroke: r.stroke, width: 1, dash: [6, 4], points: { show: false } })),
        ],
      }));
    }
  }
  renderMatrix(s);
}

/**
 * Makes the chart `id`, or gives it new data when `key` says it changed; made again, in
 * its place, when its series changed (an arm or a reference line appeared).
 */
function chart(parent: HTMLElement, id: string, title: string, key: string, data: uPlot.AlignedData, options: () => Omit<uPlot.Options, 'title'>): void {
  const existing = charts.get(id);
  const shape = String(data.length);
  if (existing && existing.shape === shape) {
    if (existing.key !== key) {
      existing.plot.setData(data);
      existing.key = key;
    }
    return;
  }
  const box = el('div', { class: 'chart', 'data-chart': id }, el('h3', {}, title));
  if (existing) {
    existing.plot.destroy();
    existing.box.replaceWith(box);
  } else {
    parent.append(box);
  }
  charts.set(id, { plot: new uPlot(options() as uPlot.Options, data, box), key, shape, box });
}
