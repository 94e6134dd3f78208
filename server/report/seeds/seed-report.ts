/**
 * report.md (and report.html) of a run over several seeds: the final metrics as mean ±
 * half-width of the 95% interval, the paired differences against joint training and the
 * floor (marked n.s. when the interval contains 0), every seed's numbers, a figure of
 * accuracy after each stage with error bars, and links to each seed's own report.
 */
import type { Results } from '../results.js';
import { markdownText, pct, row } from '../markdown.js';
import { lineChartSvg, writePlots, type LineChartInput, type LineSeries } from '../plots/index.js';
import { writeReport } from '../report.js';
import { reportBody, writeReportHtml } from '../html/report-html.js';
import { modeOf } from '../../schedule/index.js';
import { differenceInterval, meanInterval, NOT_SIGNIFICANT } from './seed-format.js';
import type { SeedFields } from './seed-results.js';
import { summarize } from './statistics.js';

type SeedResults = Results & SeedFields;

const STAGE_FIGURE = 'seeds-knn-by-stage.svg';

/** The Markdown report; `figure` is the Markdown that embeds the stage figure (empty when it could not be drawn). */
export function renderSeedReport(results: SeedResults, figure: string[] = []): string {
  const s = results.scenario;
  const st = results.statistics;
  const split = st.seedsVary === 'split' ? 'the stream split varies with the seed' : `the stream split fixed at seed ${s.splitSeed ?? s.seed}`;
  const lines = [
    `# ${markdownText(s.name)} over ${st.seeds.length} seeds`,
    '',
    `Dataset ${s.dataset.name}, ${s.stream.type} stream in ${s.stream.chunks} chunks, ${s.ssl.method}, ${s.training.epochsPerChunk} epoch(s) per chunk, batch ${s.training.batchSize}; ` +
      `seeds ${st.seeds.join(', ')} (each seed sets data order, augmentation, initialization, replay choice and evaluation subsets; ${split}). Backend: ${markdownText(results.backend)}.`,
    '',
    ...finalTable(results),
    '',
    `Accuracies in percent: mean ± half-width of the ${st.confidence * 100}% Student-t interval over seeds (n − 1 degrees of freedom). ` +
      `Δ are paired differences on the same seed, in points; ${NOT_SIGNIFICANT}: the interval contains 0. ` +
      'Forgetting and avg acc: linear probe, from the stage x chunk matrix of relay arms.',
    '',
    ...figure,
    '## Per seed',
    '',
    ...perSeedTable(results),
    '',
    `Each seed's run (stages, matrices, loss curves): ${results.seeds.map((e) => `[seed ${e.seed}](${e.dir}/report.md)`).join(', ')}.`,
    '',
  ];
  return lines.join('\n');
}

function finalTable(results: SeedResults): string[] {
  const st = results.statistics;
  const ref = st.reference;
  const header = ['arm', 'mode', 'seeds', 'kNN top-1', 'linear top-1', 'Δ kNN vs random init'];
  if (ref) header.push(`Δ kNN vs ${ref}`, `Δ linear vs ${ref}`);
  header.push('avg acc (chunks)', 'forgetting');
  const lines = [row(header), row(header.map((_, i) => (i < 2 ? '---' : '---:')))];
  for (const arm of st.arms) {
    const spec = results.scenario.arms.find((a) => a.name === arm.name);
    const mode = spec ? modeOf(spec).labels(spec).comparison : arm.mode;
    if (!arm.metrics) {
      lines.push(row([arm.name, mode, '0', 'failed on every seed', '', '', ...(ref ? ['', ''] : []), '', '']));
      continue;
    }
    const m = arm.metrics;
    const cells = [arm.name, mode, String(arm.seeds.length), meanInterval(m.knnTop1), meanInterval(m.linearTop1), differenceInterval(arm.vsRandomInit?.knnTop1)];
    if (ref) cells.push(arm.name === ref ? '0.0' : differenceInterval(arm.vsReference?.knnTop1), arm.name === ref ? '0.0' : differenceInterval(arm.vsReference?.linearTop1));
    cells.push(meanInterval(m.averageAccuracy), meanInterval(m.averageForgetting));
    lines.push(row(cells));
  }
  const floor = ['random init', 'floor', String(st.seeds.length), meanInterval(st.randomInit.knnTop1), meanInterval(st.randomInit.linearTop1), ''];
  if (ref) floor.push('', '');
  lines.push(row([...floor, '', '']));
  return lines;
}

function perSeedTable(results: SeedResults): string[] {
  const names = results.statistics.arms.map((a) => a.name);
  const header = ['seed', ...names.flatMap((n) => [`${n} kNN`, `${n} linear`]), 'random init kNN', 'random init linear'];
  return [
    row(header),
    row(header.map(() => '---:')),
    ...results.seeds.map((e) =>
      row([
        String(e.seed),
        ...names.flatMap((n) => {
          const final = e.arms.find((a) => a.name === n)?.final;
          return final ? [pct(final.knnTop1), pct(final.linearTop1)] : ['failed', 'failed'];
        }),
        pct(e.randomInit.knnTop1),
        pct(e.randomInit.linearTop1),
      ]),
    ),
  ];
}

/**
 * kNN accuracy against chunks trained on (0: the floor), mean over seeds with its interval
 * as an error bar: relay arms after each stage, other arms at their end; null when no
 * arm has a point to draw.
 */
export function stageFigure(results: SeedResults): LineChartInput | null {
  const chunks = results.scenario.stream.chunks;
  const point = (x: number, values: number[]) => {
    const s = summarize(values.map((v) => v * 100));
    return { x, y: s.mean, ...(s.interval ? { lo: s.interval[0], hi: s.interval[1] } : {}) };
  };
  const series: LineSeries[] = [{ name: 'random init', points: [point(0, results.seeds.map((e) => e.randomInit.knnTop1))] }];
  for (const { name } of results.statistics.arms) {
    const runs = results.seeds.map((e) => e.arms.find((a) => a.name === name)).filter((a) => a !== undefined);
    const sequential = runs.length > 0 && modeOf(runs[0]).sequential;
    const points = [];
    if (sequential) {
      for (let k = 0; k < chunks; k++) {
        const values = runs.flatMap((a) => (a.stages[k]?.eval ? [a.stages[k].eval!.knnTop1] : []));
        if (values.length > 0) points.push(point(k + 1, values));
      }
    } else {
      const values = runs.flatMap((a) => (a.final ? [a.final.knnTop1] : []));
      if (values.length > 0) points.push(point(chunks, values));
    }
    if (points.length > 0) series.push({ name, points });
  }
  if (series.length < 2) return null;
  return { title: `kNN top-1, mean over ${results.seeds.length} seeds with the ${results.statistics.confidence * 100}% interval`, xTitle: 'chunks trained on', yTitle: 'kNN top-1 (%)', series };
}

/** Writes report.md, its figure under plots/ and report.html; a figure that fails is named in the report instead. */
export async function writeSeedReportFiles(outDir: string, results: SeedResults): Promise<{ report: string; reportPath: string; htmlPath: string }> {
  const input = stageFigure(results);
  let figure: string[] = [];
  const inline = new Map<string, string>();
  if (input) {
    try {
      const svg = await lineChartSvg(input);
      await writePlots(outDir, [{ file: STAGE_FIGURE, svg }]);
      inline.set(`plots/${STAGE_FIGURE}`, svg);
      figure = [`![${markdownText(input.title)}](plots/${STAGE_FIGURE})`, ''];
    } catch (err) {
      figure = [`(figure ${STAGE_FIGURE} could not be rendered: ${markdownText((err as Error).message)})`, ''];
    }
  }
  const report = renderSeedReport(results, figure);
  const reportPath = await writeReport(outDir, report);
  const htmlPath = await writeReportHtml(outDir, results.scenario.name, reportBody(report, inline, `${results.scenario.name}-`));
  return { report, reportPath, htmlPath };
}
