/**
 * Vega reports a failed expression or a dropped encoding on the console and then draws
 * what it can: a heatmap with a bad number format comes out with no numbers. Collecting
 * what Vega and Vega-Lite log lets a render fail loudly instead, with their own words.
 */
import type { ViewOptions } from 'vega';

type VegaLogger = NonNullable<ViewOptions['logger']>;

const WARN_LEVEL = 2;

export interface RenderLog {
  /** Pass to Vega-Lite's compile and to the Vega view. */
  logger: VegaLogger;
  /** Errors and warnings logged so far, oldest first. */
  problems: string[];
}

/** A logger that keeps errors and warnings instead of printing them; Vega calls its methods unbound, hence the closures. */
export function renderLog(): RenderLog {
  const problems: string[] = [];
  const logger: VegaLogger = {
    level: () => WARN_LEVEL,
    error: (...args: unknown[]) => {
      problems.push(`error: ${describe(args)}`);
      return logger;
    },
    warn: (...args: unknown[]) => {
      problems.push(`warning: ${describe(args)}`);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return { logger, problems };
}

function describe(args: unknown[]): string {
  return args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
}
