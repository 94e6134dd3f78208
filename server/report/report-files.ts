/**
 * Writes a run's report: its figures as SVG files under `plots/`, then report.md linking
 * them, and report.html with them inlined (html/report-html.ts). A figure that fails to render is logged in the report instead of failing it: the
 * numbers are in the tables either way.
 */
import { reportFigures, type FigureSpec } from './figures.js';
import { heatmapSvg, lineChartSvg, writePlots } from './plots/index.js';
import { markdownText } from './markdown.js';
import { renderReport, writeReport } from './report.js';
import type { Results } from './results.js';
import type { RunSnapshot } from '../../shared/observe/snapshot.js';
import { lossSection, reportBody, writeReportHtml } from './html/report-html.js';

export interface ReportFiles {
  report: string;
  reportPath: string;
  /** Figure files written, relative to the run folder. */
  figures: string[];
  /** report.html: the same report, figures inlined, plus the loss curves. */
  htmlPath: string;
  /** Its body (for the suite's report.html). */
  htmlBody: string;
}

function render(figure: FigureSpec): Promise<string> {
  if (figure.kind === 'heatmap') {
    const { kind: _kind, file: _file, ...input } = figure;
    return heatmapSvg(input);
  }
  const { kind: _kind, file: _file, ...input } = figure;
  return lineChartSvg(input);
}

/** Writes the figures, report.md and report.html; `live` is the run's snapshot while it still runs (for the loss curves). */
export async function writeReportFiles(outDir: string, results: Results, live?: RunSnapshot): Promise<ReportFiles> {
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
  const prefix = `${results.scenario.name}-`;
  const htmlBody = `${reportBody(report, new Map(rendered.map((r) => [`plots/${r.file}`, r.svg])), prefix)}\n${await lossSection(outDir, prefix, live)}`;
  const htmlPath = await writeReportHtml(outDir, results.scenario.name, htmlBody);
  return { report, reportPath, figures: paths, htmlPath, htmlBody };
}
