/**
 * The report's analysis part: forgetting metrics of every relay arm, then, when the run
 * was analyzed, CKA, sharpness, few-shot and transfer, each a table with its figures.
 */
import type { AnalysisResults, ArmCka, CurvePoint } from '../../shared/analysis.js';
import { ckaFigures, jointIndex, sharpnessFigures } from './figures.js';
import type { ForgettingMetrics } from './forgetting.js';
import { markdownText, pct, points, row } from './markdown.js';
import type { Results } from './results.js';

/** Markdown lines embedding a figure, or none when it was not rendered. */
export type FigureLink = (file: string) => string[];

export function forgettingSection(results: Results): string[] {
  const arms = results.arms.filter((a) => a.forgetting);
  if (arms.length === 0) return [];
  const header = ['arm', 'strategy', 'probe', 'avg accuracy', 'avg forgetting', 'BWT', 'FWT'];
  const lines = ['## Forgetting', '', row(header), row(header.map((_, i) => (i < 3 ? '---' : '---:')))];
  for (const arm of arms) {
    for (const probe of ['linear', 'knn'] as const) {
      const f: ForgettingMetrics = arm.forgetting![probe];
      lines.push(row([arm.name, arm.strategy, probe === 'knn' ? 'kNN' : 'linear', pct(f.averageAccuracy), points(f.averageForgetting), points(f.backwardTransfer), f.forwardTransfer === undefined ? '–' : points(f.forwardTransfer)]));
    }
  }
  lines.push(
    '',
    "From the stage x chunk accuracy matrix (accuracy on each chunk's test samples after each stage): average accuracy after the last stage; " +
      'average forgetting, the best earlier accuracy minus the final one, over earlier chunks; BWT, final minus just-learned accuracy; ' +
      'FWT, accuracy on the next chunk before training on it minus the random-init accuracy on it. ' +
      "A cyclic relay's rows are its visits: BWT takes a chunk's last visit before the end, FWT the stage before its first.",
  );
  return lines;
}

export function analysisSection(results: Results, link: FigureLink): string[] {
  const a = results.analysis;
  if (!a) return [];
  const lines = ['## Analyses', '', `Run by \`streamssl analyze\` on the saved checkpoints (${markdownText(a.backend)}, ${a.seconds.toFixed(0)} s, ${a.analyzedAt}).`, ''];
  for (const [name, reason] of Object.entries(a.errors ?? {})) lines.push(`**${name} failed:** ${markdownText(reason)}`, '');
  if (a.cka) lines.push(...ckaSection(a, link), '');
  if (a.sharpness) lines.push(...sharpnessSection(a, results, link), '');
  if (a.fewShot && a.fewShot.length > 0) lines.push(...fewShotSection(a), '');
  if (a.transfer && a.transfer.length > 0) lines.push(...transferSection(a), '');
  return lines;
}

function ckaSection(a: AnalysisResults, link: FigureLink): string[] {
  const cka = a.cka!;
  const lines = ['### Representation similarity (CKA)', '', `Linear and RBF CKA on ${cka.probeSamples} test images, for each backbone stage's pooled output.`, ''];
  for (const arm of cka.arms) lines.push(...armCkaTable(arm), '');
  const figures = ckaFigures({ analysis: a } as Results);
  for (const f of figures) lines.push(...link(f.file));
  return lines;
}

function armCkaTable(arm: ArmCka): string[] {
  const joint = jointIndex(arm);
  const deepest = arm.layers.length - 1;
  const header = ['model', 'vs previous stage', 'vs first stage', ...(joint !== null ? [`vs ${arm.models[joint]}`] : [])];
  const stages = arm.models.slice(0, joint ?? arm.models.length);
  const cell = (i: number, j: number) => `${arm.linear[deepest][i][j].toFixed(3)} / ${arm.rbf[deepest][i][j].toFixed(3)}`;
  return [
    `**${markdownText(arm.arm)}** (${markdownText(arm.layers[deepest])}; linear / RBF):`,
    '',
    row(header),
    row(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...stages.map((model, i) => row([model, i === 0 ? '–' : cell(i, i - 1), cell(i, 0), ...(joint !== null ? [cell(i, joint)] : [])])),
  ];
}

function sharpnessSection(a: AnalysisResults, results: Results, link: FigureLink): string[] {
  const s = a.sharpness!;
  const radii = s.models[0]?.perturbation.map((p) => p.radius) ?? [];
  const header = ['model', 'loss', ...radii.map((r) => `rise at r=${r}`)];
  const loss = results.scenario.ssl.method === 'supervised' ? 'cross-entropy' : `${results.scenario.ssl.method} loss`;
  const lines = [
    '### Sharpness',
    '',
    `The ${loss} on ${s.samples} training images of all chunks, at each model and under filter-normalized random perturbations of radius r (mean ± std over ${s.draws} draws). A flatter minimum rises less.`,
    '',
    row(header),
    row(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...s.models.map((m) => row([m.model, m.baseLoss.toFixed(3), ...m.perturbation.map((p) => `${p.mean.toFixed(3)} ± ${p.std.toFixed(3)}`)])),
    '',
  ];
  if (s.interpolations.length > 0) {
    lines.push('The loss on the straight line between two models; the barrier is the highest loss between them above the higher of the two (0 when the line never rises above its ends: one basin):', '');
    lines.push(row(['from', 'to', 'loss at from', 'loss at to', 'barrier']), row(['---', '---', '---:', '---:', '---:']));
    for (const c of s.interpolations) lines.push(row([c.from, c.to, ...lineSummary(c.points).map((v) => v.toFixed(3))]));
    lines.push('');
  }
  for (const f of sharpnessFigures({ analysis: a } as Results)) lines.push(...link(f.file));
  return lines;
}

/** Loss at alpha 0 and 1 (the nearest points) and the barrier between them. */
export function lineSummary(points: readonly CurvePoint[]): [number, number, number] {
  const at = (alpha: number) => points.reduce((best, p) => (Math.abs(p.alpha - alpha) < Math.abs(best.alpha - alpha) ? p : best)).loss;
  const [from, to] = [at(0), at(1)];
  const between = Math.max(...points.filter((p) => p.alpha >= 0 && p.alpha <= 1).map((p) => p.loss));
  return [from, to, Math.max(0, between - Math.max(from, to))];
}

function fewShotSection(a: AnalysisResults): string[] {
  const scores = a.fewShot!;
  const columns = [...new Set(scores.map((s) => `${s.dataset}: ${s.ways}-way ${s.shots}-shot`))];
  const models = [...new Set(scores.map((s) => s.model))];
  const first = scores[0];
  const lines = [
    '### Few-shot',
    '',
    `Mean accuracy ± 95% confidence interval over ${first.episodes} episodes (${first.queries} queries per class, ${first.classifier} classifier on frozen features), percent.`,
    '',
    row(['model', ...columns]),
    row(['---', ...columns.map(() => '---:')]),
  ];
  for (const model of models) {
    lines.push(
      row([
        model,
        ...columns.map((c) => {
          const s = scores.find((x) => x.model === model && `${x.dataset}: ${x.ways}-way ${x.shots}-shot` === c);
          return s ? `${s.mean.toFixed(1)} ± ${s.ci95.toFixed(1)}` : '–';
        }),
      ]),
    );
  }
  return lines;
}

function transferSection(a: AnalysisResults): string[] {
  const scores = a.transfer!;
  const datasets = [...new Set(scores.map((s) => s.dataset))];
  const models = [...new Set(scores.map((s) => s.model))];
  const header = ['model', ...datasets.flatMap((d) => [`${d} kNN`, `${d} linear`])];
  const lines = ['### Transfer', '', 'Each final model, frozen, scored on other datasets (kNN and linear probe top-1).', '', row(header), row(header.map((_, i) => (i === 0 ? '---' : '---:')))];
  for (const model of models) {
    lines.push(
      row([
        model,
        ...datasets.flatMap((d) => {
          const s = scores.find((x) => x.model === model && x.dataset === d);
          return s ? [pct(s.knnTop1), pct(s.linearTop1)] : ['–', '–'];
        }),
      ]),
    );
  }
  return lines;
}
