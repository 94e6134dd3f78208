/**
 * Puts rendered charts in `<runDir>/plots/` and hands back the paths the markdown report
 * links to. File names come from arm and metric names, so they are held to a plain
 * character set: a separator or `..` could otherwise write outside the run directory.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../run/file-writes.js';
import { PlotInputError } from './input-checks.js';

export interface PlotFile {
  /** A bare file name such as `accuracy-relay.svg`: letters, digits, `.`, `_`, `-`, ending in `.svg`. */
  file: string;
  svg: string;
}

/** The folder under a run directory that holds the charts, as linked from report.md. */
export const PLOTS_DIR = 'plots';

const SAFE_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.svg$/;

/** Writes each plot to `<runDir>/plots/<file>` and returns `plots/<file>` for each, in input order. */
export async function writePlots(runDir: string, plots: readonly PlotFile[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const { file } of plots) {
    requireSafeFileName(file);
    if (seen.has(file)) throw new PlotInputError(`plot file name "${file}" is given twice`);
    seen.add(file);
  }
  const dir = join(runDir, PLOTS_DIR);
  await mkdir(dir, { recursive: true });
  for (const { file, svg } of plots) await writeFileAtomic(join(dir, file), new TextEncoder().encode(svg));
  // Forward slashes whatever the platform: these are markdown links, not file system paths.
  return plots.map(({ file }) => `${PLOTS_DIR}/${file}`);
}

function requireSafeFileName(file: string): void {
  if (/[/\\]/.test(file)) throw new PlotInputError(`plot file name "${file}" contains a path separator`);
  if (file.includes('..')) throw new PlotInputError(`plot file name "${file}" contains ".."`);
  if (!SAFE_FILE_NAME.test(file)) {
    throw new PlotInputError(`plot file name "${file}" must be letters, digits, ".", "_" or "-", ending in ".svg"`);
  }
}
