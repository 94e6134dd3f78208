/**
 * Heatmaps for the report's matrices: accuracy after each stage on each chunk (percent)
 * and CKA similarity between representations (0..1). Each cell shows its number as well
 * as its colour, since the report is read for the values; a null cell (not measured) stays blank.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PlotInputError, requireDistinctLabels, requireFinite, requireRange, requireTitle } from './input-checks.js';
import { renderSvg } from './render.js';

export interface HeatmapInput {
  title: string;
  /** One label per row of `values`, top to bottom. */
  rows: string[];
  /** One label per column of `values`, left to right. */
  columns: string[];
  /** `values[r][c]` is the cell at row r, column c; null draws an empty cell. */
  values: (number | null)[][];
  /** Names the colour legend, e.g. "linear top-1 (%)" or "CKA". */
  valueLabel: string;
  /** Colour scale range, e.g. [0, 100] or [0, 1], so that charts of one kind compare; values outside saturate. Defaults to the data's range. */
  domain?: [number, number];
  /** d3-format specifier for the printed numbers (".1f" for percent, ".2f" for CKA). */
  format?: string;
  rowTitle?: string;
  columnTitle?: string;
}

interface Cell {
  row: string;
  column: string;
  value: number;
}

const DEFAULT_FORMAT = '.3~g';
const CELL_HEIGHT = 26;
const MIN_CELL_WIDTH = 44;
/** Rough width of one label character at the axis font size, to keep column labels from overlapping. */
const LABEL_CHAR_WIDTH = 7;

/** Renders a matrix as an SVG heatmap with one labelled cell per non-null value. */
export async function heatmapSvg(input: HeatmapInput): Promise<string> {
  const cells = heatmapCells(input);
  return renderSvg(heatmapSpec(input, cells));
}

/** Checks the matrix against its labels and flattens it to one record per drawn cell. */
function heatmapCells(input: HeatmapInput): Cell[] {
  requireTitle(input.title, 'heatmap title');
  requireTitle(input.valueLabel, 'heatmap valueLabel');
  requireDistinctLabels(input.rows, 'heatmap rows');
  requireDistinctLabels(input.columns, 'heatmap columns');
  if (input.domain) requireRange(input.domain, 'heatmap domain');
  if (input.values.length !== input.rows.length) {
    throw new PlotInputError(`heatmap values has ${input.values.length} rows but ${input.rows.length} row labels were given`);
  }
  const cells: Cell[] = [];
  input.values.forEach((line, r) => {
    if (line.length !== input.columns.length) {
      throw new PlotInputError(
        `heatmap values row ${r} ("${input.rows[r]}") has ${line.length} cells but ${input.columns.length} column labels were given`,
      );
    }
    line.forEach((value, c) => {
      if (value === null) return;
      requireFinite(value, `heatmap values[${r}][${c}] (row "${input.rows[r]}", column "${input.columns[c]}")`);
      cells.push({ row: input.rows[r], column: input.columns[c], value });
    });
  });
  return cells;
}

function heatmapSpec(input: HeatmapInput, cells: Cell[]): TopLevelSpec {
  const domain = input.domain ?? dataRange(cells);
  // Viridis runs dark to light, so numbers on the lower half of the scale are printed in white.
  const middle = (domain[0] + domain[1]) / 2;
  const longestColumn = Math.max(...input.columns.map((c) => c.length));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    data: { values: cells },
    width: { step: Math.max(MIN_CELL_WIDTH, longestColumn * LABEL_CHAR_WIDTH + 8) },
    height: { step: CELL_HEIGHT },
    encoding: {
      x: {
        field: 'column',
        type: 'ordinal',
        // Explicit domains keep label order and keep a row or column that is entirely null.
        scale: { domain: input.columns },
        title: input.columnTitle ?? null,
        axis: { labelAngle: 0, domain: false, ticks: false, orient: 'top' },
      },
      y: {
        field: 'row',
        type: 'ordinal',
        scale: { domain: input.rows },
        title: input.rowTitle ?? null,
        axis: { domain: false, ticks: false },
      },
    },
    layer: [
      {
        name: 'cells',
        mark: { type: 'rect' },
        encoding: {
          color: {
            field: 'value',
            type: 'quantitative',
            title: input.valueLabel,
            scale: { scheme: 'viridis', domain, clamp: true },
          },
        },
      },
      {
        name: 'cellValues',
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: input.format ?? DEFAULT_FORMAT },
          color: { condition: { test: `datum.value < ${middle}`, value: 'white' }, value: 'black' },
        },
      },
    ],
    config: { view: { stroke: null } },
  };
}

/** The colour range when none is given; a single distinct value still needs a non-empty range. */
function dataRange(cells: Cell[]): [number, number] {
  if (cells.length === 0) return [0, 1];
  const values = cells.map((c) => c.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo < hi ? [lo, hi] : [lo - 1, hi + 1];
}
