import { describe, expect, it } from 'vitest';
import { heatmapSvg, type HeatmapInput } from '../../../server/report/plots/heatmap.js';
import { PlotInputError } from '../../../server/report/plots/input-checks.js';
import { countElements, markGroups, textsOf } from '../../support/svg-marks.js';

function accuracyMatrix(): HeatmapInput {
  return {
    title: 'Linear-probe top-1 (relay)',
    rows: ['stage 0', 'stage 1', 'stage 2'],
    columns: ['chunk 0', 'chunk 1', 'chunk 2', 'chunk 3'],
    values: [
      [81.25, 10.5, null, 12],
      [70, 79.94, 11.06, 9],
      [65.4, 72.2, 80, 100],
    ],
    valueLabel: 'linear top-1 (%)',
    domain: [0, 100],
    format: '.1f',
    rowTitle: 'after stage',
    columnTitle: 'test share of',
  };
}

function cellsOf(svg: string): string {
  const groups = markGroups(svg, 'cells_marks');
  expect(groups).toHaveLength(1);
  return groups[0];
}

function printedValues(svg: string): string[] {
  const groups = markGroups(svg, 'cellValues_marks');
  expect(groups).toHaveLength(1);
  return textsOf(groups[0]);
}

describe('heatmapSvg', () => {
  it('draws one cell and one printed number per non-null value, with every label', async () => {
    const svg = await heatmapSvg(accuracyMatrix());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(countElements(cellsOf(svg), 'path')).toBe(11);
    // Row-major order, the null cell skipped: it prints nothing at all.
    expect(printedValues(svg)).toEqual(['81.3', '10.5', '12.0', '70.0', '79.9', '11.1', '9.0', '65.4', '72.2', '80.0', '100.0']);
    const labels = textsOf(svg);
    for (const label of ['stage 0', 'stage 1', 'stage 2', 'chunk 0', 'chunk 1', 'chunk 2', 'chunk 3']) expect(labels).toContain(label);
    for (const title of ['Linear-probe top-1 (relay)', 'linear top-1 (%)', 'after stage', 'test share of']) expect(labels).toContain(title);
  });

  it('draws every cell of a full matrix, CKA style', async () => {
    const svg = await heatmapSvg({
      title: 'CKA',
      rows: ['a', 'b'],
      columns: ['a', 'b'],
      values: [
        [1, 0.4213],
        [0.4213, 1],
      ],
      valueLabel: 'CKA',
      domain: [0, 1],
      format: '.2f',
    });
    expect(countElements(cellsOf(svg), 'path')).toBe(4);
    expect(printedValues(svg)).toEqual(['1.00', '0.42', '0.42', '1.00']);
  });

  it('keeps a row with no measured cell, drawing none for it', async () => {
    const input = accuracyMatrix();
    input.values[0] = [null, null, null, null];
    const svg = await heatmapSvg(input);
    expect(countElements(cellsOf(svg), 'path')).toBe(8);
    expect(textsOf(svg)).toContain('stage 0');
  });

  it('gives byte-identical SVG for the same input, also after other charts', async () => {
    const first = await heatmapSvg(accuracyMatrix());
    await heatmapSvg({ ...accuracyMatrix(), domain: undefined });
    expect(await heatmapSvg(accuracyMatrix())).toBe(first);
  });

  it('rejects a matrix whose shape does not match its labels, naming the row', async () => {
    const ragged = accuracyMatrix();
    ragged.values[1] = [70, 79.94, 11.06];
    await expect(heatmapSvg(ragged)).rejects.toThrow(/row 1 \("stage 1"\) has 3 cells but 4 column labels/);
    const missingRow = accuracyMatrix();
    missingRow.rows = ['stage 0', 'stage 1'];
    await expect(heatmapSvg(missingRow)).rejects.toThrow(/3 rows but 2 row labels/);
  });

  it('rejects non-finite values, repeated labels and a reversed domain', async () => {
    const nan = accuracyMatrix();
    nan.values[2][1] = Number.NaN;
    await expect(heatmapSvg(nan)).rejects.toThrow(/values\[2\]\[1\] \(row "stage 2", column "chunk 1"\) is NaN/);
    await expect(heatmapSvg({ ...accuracyMatrix(), columns: ['c', 'c', 'd', 'e'] })).rejects.toThrow(/columns: "c" appears twice/);
    await expect(heatmapSvg({ ...accuracyMatrix(), domain: [1, 0] })).rejects.toThrow(PlotInputError);
  });

  it('fails on a number format Vega cannot read instead of drawing a chart without numbers', async () => {
    await expect(heatmapSvg({ ...accuracyMatrix(), format: 'percent' })).rejects.toThrow(/invalid format: percent/);
  });
});
