/**
 * The report's figures, as data: which heatmaps and line charts a run's results call for
 * and what goes in them. Rendering them to SVG is `server/plots/`'s job; the report links
 * each under `plots/<file>`.
 */
import type { ArmCka } from '../../shared/analysis.js';
import type { HeatmapInput, LineChartInput } from './plots/index.js';
import type { AccuracyMatrix, Results } from './results.js';
import { modeOf } from '../schedule/index.js';

/** A figure and the file it goes to: the plotting library's input plus its kind. */
export type HeatmapFigure = { kind: 'heatmap'; file: string } & HeatmapInput;
export type LineFigure = { kind: 'lines'; file: string } & LineChartInput;

export type FigureSpec = HeatmapFigure | LineFigure;

/** Safe file stem from an arm or model name. */
export function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/**
 * The label of each row of an accuracy matrix: its stage, and when the rows are not one
 * pass in stream order (a cyclic relay, a random order), the visit it was as
 * `(cycle c, chunk j)`, cycles counted from 1.
 */
export function matrixRowLabels(m: AccuracyMatrix): string[] {
  const columns = m.linearTop1[0]?.length ?? 0;
  const chunks = m.chunks;
  if (!chunks || columns === 0 || chunks.every((chunk, i) => chunk === m.stages[i])) return m.stages.map(String);
  return m.stages.map((stage, i) => `${stage} (cycle ${Math.floor(stage / columns) + 1}, chunk ${chunks[i]})`);
}

/** Stage x chunk linear-probe accuracy of every arm scored per chunk. */
export function accuracyFigures(results: Results): HeatmapFigure[] {
  if (results.scenario.stream.type === 'instance') return [];
  return results.arms
    .filter((arm) => arm.accuracyMatrix && modeOf(arm).sequential)
    .map((arm) => {
      const m = arm.accuracyMatrix!;
      return {
        kind: 'heatmap',
        file: `accuracy-${fileStem(arm.name)}.svg`,
        title: `${arm.name}: linear-probe accuracy on each chunk after each stage`,
        rows: matrixRowLabels(m).map((label) => `stage ${label}`),
        columns: (m.linearTop1[0] ?? []).map((_, c) => `chunk ${c}`),
        values: m.linearTop1.map((row) => row.map((v) => v * 100)),
        valueLabel: 'accuracy %',
        domain: [0, 100],
        format: '.1f',
      };
    });
}

/** Per relay arm: CKA among its stage models at the deepest layer, and each stage against joint per layer. */
export function ckaFigures(results: Results): HeatmapFigure[] {
  const out: HeatmapFigure[] = [];
  for (const arm of results.analysis?.cka?.arms ?? []) {
    const deepest = arm.layers.length - 1;
    out.push({
      kind: 'heatmap',
      file: `cka-${fileStem(arm.arm)}.svg`,
      title: `${arm.arm}: linear CKA between models (${arm.layers[deepest]})`,
      rows: arm.models,
      columns: arm.models,
      values: arm.linear[deepest],
      valueLabel: 'linear CKA',
      domain: [0, 1],
      format: '.2f',
    });
    const joint = jointIndex(arm);
    if (joint !== null) {
      const stages = arm.models.slice(0, joint);
      out.push({
        kind: 'heatmap',
        file: `cka-${fileStem(arm.arm)}-vs-joint.svg`,
        title: `${arm.arm}: linear CKA of each stage's model with ${arm.models[joint]}, layer by layer`,
        rows: stages,
        columns: arm.layers,
        values: stages.map((_, i) => arm.layers.map((_, l) => arm.linear[l][i][joint])),
        valueLabel: 'linear CKA',
        domain: [0, 1],
        format: '.2f',
      });
    }
  }
  return out;
}

/** Index of the joint model among an arm's CKA models (it comes last), or null. */
export function jointIndex(arm: ArmCka): number | null {
  const last = arm.models.length - 1;
  return last > 0 && !arm.models[last].startsWith(`${arm.arm}/`) ? last : null;
}

/** Loss rise against perturbation radius, the random-direction curves and the interpolation curves. */
export function sharpnessFigures(results: Results): LineFigure[] {
  const s = results.analysis?.sharpness;
  if (!s || s.models.length === 0) return [];
  const figures: LineFigure[] = [
    {
      kind: 'lines',
      file: 'sharpness-perturbation.svg',
      title: `Loss rise under filter-normalized random perturbations (mean ± std over ${s.draws} draws)`,
      xTitle: 'perturbation radius',
      yTitle: 'loss rise',
      series: s.models.map((m) => ({ name: m.model, points: m.perturbation.map((p) => ({ x: p.radius, y: p.mean, lo: p.mean - p.std, hi: p.mean + p.std })) })),
    },
    {
      kind: 'lines',
      file: 'sharpness-direction.svg',
      title: 'Loss along a filter-normalized random direction',
      xTitle: 'alpha',
      yTitle: 'loss',
      series: s.models.map((m) => ({ name: m.model, points: m.direction.map((p) => ({ x: p.alpha, y: p.loss })) })),
    },
  ];
  if (s.interpolations.length > 0) {
    figures.push({
      kind: 'lines',
      file: 'sharpness-interpolation.svg',
      title: 'Loss along the line between two models (alpha 0: the first, 1: the second)',
      xTitle: 'alpha',
      yTitle: 'loss',
      series: s.interpolations.map((c) => ({ name: `${c.from} → ${c.to}`, points: c.points.map((p) => ({ x: p.alpha, y: p.loss })) })),
    });
  }
  return figures;
}

export function reportFigures(results: Results): FigureSpec[] {
  return [...accuracyFigures(results), ...ckaFigures(results), ...sharpnessFigures(results)];
}
