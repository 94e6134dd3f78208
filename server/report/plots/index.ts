/** The charts of the run report: SVG heatmaps and line charts, and where they are written. */
export { heatmapSvg, type HeatmapInput } from './heatmap.js';
export { lineChartSvg, type LineChartInput, type LinePoint, type LineSeries } from './line-chart.js';
export { writePlots, PLOTS_DIR, type PlotFile } from './write-plots.js';
export { PlotInputError } from './input-checks.js';
export { RenderError } from './render.js';
