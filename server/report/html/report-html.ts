/**
 * report.html: the report as one self-contained file that opens from disk with no network:
 * the same tables as report.md, its figures (SVG, rendered by vega on the coordinator)
 * inlined, and the loss curves of every arm from the run's metrics.jsonl, drawn as SVG the
 * same way, so that the file needs no script at all. Its policy forbids fetching anything.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileRetrying } from '../../run/file-writes.js';
import { METRICS_FILE } from '../../observe/metrics-file.js';
import { readMetricsFile } from '../../observe/read-metrics.js';
import type { RunSnapshot } from '../../../shared/observe/snapshot.js';
import { lineChartSvg } from '../plots/index.js';
import { prefixSvgIds } from '../plots/svg-ids.js';
import { escapeHtml, markdownToHtml } from './markdown-html.js';

export const REPORT_HTML = 'report.html';

/** Points of a loss curve drawn per arm at most (every k-th kept beyond). */
const MAX_LOSS_POINTS = 500;

/** Figures by the path report.md links them with (`plots/<file>`). */
export type InlineFigures = ReadonlyMap<string, string>;

/** The report's body: `markdown` with `figures` inlined (ids made unique under `idPrefix`), then `extra` HTML. */
export function reportBody(markdown: string, figures: InlineFigures, idPrefix: string): string {
  let n = 0;
  return markdownToHtml(markdown, (src) => {
    const svg = figures.get(src);
    return svg === undefined ? null : inlineSvg(svg, `${idPrefix}f${n++}-`);
  });
}

/** An SVG ready to sit in an HTML document beside others. */
export function inlineSvg(svg: string, idPrefix: string): string {
  return prefixSvgIds(svg.replace(/^<\?xml[^>]*\?>\s*/, ''), idPrefix);
}

/** A whole HTML document around `body`. */
export function htmlDocument(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 24px auto; padding: 0 16px; color: #1d2330; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e0e3e8; }
th { background: #f3f4f6; }
figure { margin: 8px 0 20px; } figure svg { max-width: 100%; height: auto; } figcaption { font-size: 13px; color: #555; }
code { background: #f3f4f6; padding: 0 3px; }
h1 { border-bottom: 2px solid #1d2330; } h2 { margin-top: 32px; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** The loss curves of every arm as one SVG (the arm's optimizer step on x), or null when the snapshot has none. */
export async function lossCurvesSvg(snapshot: RunSnapshot): Promise<string | null> {
  const series = Object.values(snapshot.arms)
    .filter((arm) => arm.loss.points.length > 0)
    .map((arm) => {
      const every = Math.ceil(arm.loss.points.length / MAX_LOSS_POINTS);
      const kept = arm.loss.points.filter((_, i) => i % every === 0 || i === arm.loss.points.length - 1);
      return { name: arm.name, points: kept.map((p) => ({ x: p.x, y: p.loss })) };
    });
  if (series.length === 0) return null;
  return lineChartSvg({ title: 'Training loss', xTitle: 'optimizer step of the arm', yTitle: 'loss', series });
}

/**
 * The loss-curve section of a run's report.html, from `live` (the running bus's snapshot,
 * which holds what metrics.jsonl may not have written yet) or else from its metrics.jsonl;
 * an empty string when there is none.
 */
export async function lossSection(runDir: string, idPrefix: string, live?: RunSnapshot): Promise<string> {
  let snapshot: RunSnapshot;
  try {
    snapshot = live ?? (await readMetricsFile(join(runDir, METRICS_FILE))).snapshot;
  } catch {
    return '';
  }
  try {
    const svg = await lossCurvesSvg(snapshot);
    return svg === null ? '' : `<h2>Loss curves</h2>\n<figure>${inlineSvg(svg, `${idPrefix}loss-`)}<figcaption>Training loss of every arm, as the clients reported it (${METRICS_FILE}).</figcaption></figure>`;
  } catch (err) {
    return `<h2>Loss curves</h2>\n<p>The loss curves could not be drawn: ${escapeHtml((err as Error).message)}</p>`;
  }
}

/**
 * The suite's report.html: its table, then each scenario's report (from its folder:
 * report.md, the figures it links, its loss curves), one after the other.
 */
export async function writeSuiteReportHtml(outDir: string, table: string, scenarios: readonly string[]): Promise<string> {
  const parts = [markdownToHtml(table)];
  for (const [i, name] of scenarios.entries()) {
    const dir = join(outDir, name);
    let markdown: string;
    try {
      markdown = await readFile(join(dir, 'report.md'), 'utf8');
    } catch {
      continue;
    }
    const figures = new Map<string, string>();
    for (const [, src] of markdown.matchAll(/^!\[.*\]\((plots\/[A-Za-z0-9._-]+\.svg)\)$/gm)) {
      const svg = await readFile(join(dir, src), 'utf8').catch(() => null);
      if (svg !== null) figures.set(src, svg);
    }
    // Each scenario's headings one level down, under the suite's.
    const body = reportBody(markdown.replace(/^(#{1,5}) /gm, '#$1 '), figures, `s${i}-`);
    parts.push(`<section>\n${body}\n${await lossSection(dir, `s${i}-`)}\n</section>`);
  }
  const path = join(outDir, REPORT_HTML);
  await writeFileRetrying(path, new TextEncoder().encode(htmlDocument('suite', parts.join('\n'))));
  return path;
}

/** Writes `DIR/report.html` (atomically, retried like report.md) and returns its path. */
export async function writeReportHtml(runDir: string, title: string, body: string): Promise<string> {
  const path = join(runDir, REPORT_HTML);
  await writeFileRetrying(path, new TextEncoder().encode(htmlDocument(title, body)));
  return path;
}
