/**
 * Turns a Vega-Lite spec into an SVG string without a browser, a canvas or fonts:
 * Vega-Lite compiles the spec to Vega, and Vega's headless view writes the scene as SVG.
 * Text widths (for layout only) are estimated from the character count rather than
 * measured with whatever fonts a machine has, so the same chart lays out the same everywhere.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { renderLog } from './render-log.js';
import { canonicalizeSvgIds } from './svg-ids.js';

/** Vega exports this at run time but its typings do not declare it. */
interface TextMetrics {
  canvas(use: boolean): void;
}

const textMetrics = (vega as unknown as { textMetrics?: TextMetrics }).textMetrics;
// Without this, installing node-canvas anywhere in the tree would switch layout to measured, font-dependent widths.
textMetrics?.canvas(false);

/** Thrown when Vega or Vega-Lite logged an error or a warning: the chart would not show what was asked. */
export class RenderError extends Error {
  override name = 'RenderError';
}

/** Renders `spec` to a standalone SVG document; byte-identical for identical specs. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const log = renderLog();
  const view = new vega.View(vega.parse(compile(spec, { logger: log.logger }).spec), { renderer: 'none', logger: log.logger });
  try {
    const svg = await view.toSVG();
    if (log.problems.length > 0) {
      throw new RenderError(`chart ${JSON.stringify(spec.title ?? '')} did not render cleanly: ${log.problems.join('; ')}`);
    }
    return canonicalizeSvgIds(svg);
  } finally {
    view.finalize();
  }
}
