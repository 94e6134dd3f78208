/**
 * Writes a run's report: its figures as SVG files under `plots/`, then report.md linking
 * them. A figure that fails to render is logged in the report instead of failing it: the
 * numbers are in the tables either way.
 */
import { reportFigures, type FigureSpec } from './figures.js';
import { heatmapSvg, lineChartSvg, writePlots } from './plots/index.js';
import { markdownText } from './markdown.js';
import { renderReport, writeReport } from './report.js';
import type { Results } from './results.js';

export interface ReportFiles {
  report: string;
  reportPath: string;
  /** Figure files written, relative to the run folder. */
  figures: string[];
}

function render(figure: FigureSpec): Promise<string> {
  if (figure.kind === 'heatmap') {
    const { kind: _kind, file: _file, ...input } = figure;
    return heatmapSvg(input);
  }
  const { kind: _kind, file: _file, ...input } = figure;
  return lineChartSvg(input);
}

export async function writeReportFiles(outDir: string, results: Results): Promise<ReportFiles> {
  const rendered: { file: string; svg: string }[] = [];
  const titles = new Map<string, string>();
  const failed = new Map<string, string>();
  for (const figure of reportFigures(results)) {
    try {
      rendered.push({ file: figure.file, svg: await render(figure) });
      titles.set(figure.file, figure.title);
    } catch (err) {
      failed.set(figure.file, (err as Error).message);
    }
  }
  const paths = await writePlots(outDir, rendered);
  const link = (file: string): string[] => {
    if (titles.has(file)) return [`![${markdownText(titles.get(file)!)}](plots/${file})`, ''];
    if (failed.has(file)) return [`(figure ${markdownText(file)} could not be rendered: ${markdownText(failed.get(file)!)})`, ''];
    return [];
  };
  const report = renderReport(results, link);
  const reportPath = await writeReport(outDir, report);
  return { report, reportPath, figures: paths };
}
