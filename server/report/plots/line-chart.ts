/**
 * Line charts for curves such as sharpness against perturbation radius, several runs or
 * methods on one chart (supervised beside SSL). A point may carry a spread (lo..hi, e.g.
 * mean ± std over random draws), drawn as an error bar so that a difference between two
 * curves can be judged against the noise of each.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PlotInputError, requireDistinctLabels, requireFinite, requireTitle } from './input-checks.js';
import { renderSvg } from './render.js';

export interface LinePoint {
  x: number;
  y: number;
  /** Lower end of the spread around y; give both lo and hi or neither. */
  lo?: number;
  hi?: number;
}

export interface LineSeries {
  /** Shown in the legend; distinct across the chart. */
  name: string;
  points: LinePoint[];
}

export interface LineChartInput {
  title: string;
  xTitle: string;
  yTitle: string;
  series: LineSeries[];
}

interface PointRecord {
  series: string;
  x: number;
  y: number;
}

interface SpreadRecord {
  series: string;
  x: number;
  lo: number;
  hi: number;
}

/** Renders one line with point marks per series, error bars where a spread is given, and a legend. */
export async function lineChartSvg(input: LineChartInput): Promise<string> {
  const { points, spreads } = lineChartRecords(input);
  return renderSvg(lineChartSpec(input, points, spreads));
}

/** Checks every series and point, and splits them into the records each layer draws. */
function lineChartRecords(input: LineChartInput): { points: PointRecord[]; spreads: SpreadRecord[] } {
  requireTitle(input.title, 'line chart title');
  requireTitle(input.xTitle, 'line chart xTitle');
  requireTitle(input.yTitle, 'line chart yTitle');
  requireDistinctLabels(input.series.map((s) => s.name), 'line chart series names');
  const points: PointRecord[] = [];
  const spreads: SpreadRecord[] = [];
  for (const { name, points: seriesPoints } of input.series) {
    if (seriesPoints.length === 0) throw new PlotInputError(`line chart series "${name}" has no points`);
    seriesPoints.forEach((p, i) => {
      const where = `line chart series "${name}" point ${i}`;
      requireFinite(p.x, `${where}: x`);
      requireFinite(p.y, `${where}: y`);
      points.push({ series: name, x: p.x, y: p.y });
      const spread = pointSpread(p, where);
      if (spread) spreads.push({ series: name, x: p.x, ...spread });
    });
  }
  return { points, spreads };
}

function pointSpread(p: LinePoint, where: string): { lo: number; hi: number } | undefined {
  if (p.lo === undefined && p.hi === undefined) return undefined;
  if (p.lo === undefined || p.hi === undefined) throw new PlotInputError(`${where}: give both lo and hi, or neither`);
  requireFinite(p.lo, `${where}: lo`);
  requireFinite(p.hi, `${where}: hi`);
  if (p.lo > p.hi) throw new PlotInputError(`${where}: lo ${p.lo} is above hi ${p.hi}`);
  return { lo: p.lo, hi: p.hi };
}

function lineChartSpec(input: LineChartInput, points: PointRecord[], spreads: SpreadRecord[]): TopLevelSpec {
  // A shared colour domain in input order keeps each series' colour and legend place stable across charts.
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    scale: { domain: input.series.map((s) => s.name) },
  };
  const x = { field: 'x', type: 'quantitative' as const, title: input.xTitle, scale: { zero: false } };
  const line = {
    name: 'lines',
    data: { values: points },
    mark: { type: 'line' as const, point: true },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative' as const, title: input.yTitle, scale: { zero: false } },
      color,
    },
  };
  const errorBars = {
    name: 'errorBars',
    data: { values: spreads },
    mark: { type: 'errorbar' as const, ticks: true },
    encoding: {
      x,
      y: { field: 'lo', type: 'quantitative' as const, title: input.yTitle },
      y2: { field: 'hi' },
      color,
    },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    width: 360,
    height: 220,
    layer: spreads.length > 0 ? [errorBars, line] : [line],
  };
}
