import { describe, expect, it } from 'vitest';
import { lineChartSvg, type LineChartInput } from '../../../server/report/plots/line-chart.js';
import { countElements, markGroups, textsOf } from '../../support/svg-marks.js';

/** Sharpness-like curves: supervised with a spread at every radius, SSL without one. */
function sharpnessCurves(): LineChartInput {
  const radii = [0, 0.01, 0.02, 0.05, 0.1];
  return {
    title: 'Sharpness',
    xTitle: 'perturbation radius',
    yTitle: 'loss increase',
    series: [
      { name: 'supervised', points: radii.map((x) => ({ x, y: 0.1 + 3 * x, lo: 0.05 + 3 * x, hi: 0.15 + 3 * x })) },
      { name: 'SSL (SimCLR)', points: radii.map((x) => ({ x, y: 0.3 + 2 * x })) },
    ],
  };
}

describe('lineChartSvg', () => {
  it('draws one line per series, a legend naming both, and both axis titles', async () => {
    const svg = await lineChartSvg(sharpnessCurves());
    expect(markGroups(svg, 'lines_marks')).toHaveLength(2);
    expect(markGroups(svg, 'role-legend-label').flatMap(textsOf)).toEqual(['supervised', 'SSL (SimCLR)']);
    expect(markGroups(svg, 'role-axis-title').flatMap(textsOf).sort()).toEqual(['loss increase', 'perturbation radius']);
    expect(textsOf(svg)).toContain('Sharpness');
  });

  it('draws an error bar for each point with a spread and none for points without', async () => {
    const svg = await lineChartSvg(sharpnessCurves());
    const bars = markGroups(svg, 'errorBars_layer_2_marks');
    expect(bars).toHaveLength(1);
    expect(countElements(bars[0], 'line')).toBe(5);
    const withoutSpread = sharpnessCurves();
    withoutSpread.series = withoutSpread.series.slice(1);
    expect(await lineChartSvg(withoutSpread)).not.toContain('errorBars');
  });

  it('gives byte-identical SVG for the same input', async () => {
    const first = await lineChartSvg(sharpnessCurves());
    expect(await lineChartSvg(sharpnessCurves())).toBe(first);
  });

  it('rejects a non-finite x, naming the series and the point', async () => {
    const input = sharpnessCurves();
    input.series[1].points[3].x = Number.POSITIVE_INFINITY;
    await expect(lineChartSvg(input)).rejects.toThrow(/series "SSL \(SimCLR\)" point 3: x is Infinity/);
  });

  it('rejects half a spread, an inverted spread, an empty series and a repeated name', async () => {
    const half = sharpnessCurves();
    delete half.series[0].points[1].hi;
    await expect(lineChartSvg(half)).rejects.toThrow(/"supervised" point 1: give both lo and hi/);
    const inverted = sharpnessCurves();
    inverted.series[0].points[2] = { x: 0.02, y: 1, lo: 2, hi: 0 };
    await expect(lineChartSvg(inverted)).rejects.toThrow(/point 2: lo 2 is above hi 0/);
    await expect(lineChartSvg({ ...sharpnessCurves(), series: [{ name: 'a', points: [] }] })).rejects.toThrow(/"a" has no points/);
    const twice = sharpnessCurves();
    twice.series[1].name = 'supervised';
    await expect(lineChartSvg(twice)).rejects.toThrow(/series names: "supervised" appears twice/);
  });
});
