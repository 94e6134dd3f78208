/**
 * Where the running code is: compiled (`dist/<fingerprint>/**\/*.js`, built from the
 * TypeScript sources by scripts/build-js.mjs) or the sources themselves (tsx, vitest).
 * Paths to files beside the code (entry points of child processes, the native addon,
 * the dashboard's page sources) are taken from here, so that they hold either way.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finishedBuildOf } from './source-fingerprint.mjs';

/** This module runs compiled; so then does everything it was built with. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The project root: it holds package.json, native/, node_modules/ and the TypeScript sources. */
export const PROJECT_ROOT = fileURLToPath(new URL(COMPILED ? '../../../' : '../', import.meta.url));

/** The root of the code that runs: the build's folder, or the project root. */
export const CODE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The file to start for a module given by its root-relative path without extension
 * (`client/main`): from the same build when this code runs compiled. From the sources
 * (vitest, `npx tsx`), the compiled build of exactly these sources when one is there,
 * since it is the same code and a client process starts in a third of the time it takes
 * through tsx (0.6-0.8 s against 1.7-2.0 s to a ready engine, measured here); else the
 * source itself. STREAMSSL_RUN_SOURCES=1 keeps every process on the sources.
 */
export function entryFile(module: string): string {
  if (COMPILED) return join(CODE_ROOT, `${module}.js`);
  const build = buildOfTheseSources();
  return build ? join(build, `${module}.js`) : join(CODE_ROOT, `${module}.ts`);
}

let sourcesBuild: string | null | undefined;

/** The folder of the finished build of the current sources, or null; looked up once per process. */
function buildOfTheseSources(): string | null {
  if (sourcesBuild !== undefined) return sourcesBuild;
  sourcesBuild = null;
  if (process.env.STREAMSSL_RUN_SOURCES === '1') return sourcesBuild;
  try {
    sourcesBuild = finishedBuildOf(PROJECT_ROOT);
  } catch {
    // Sources that cannot be fingerprinted (a file vanished mid-walk): they run as they are.
  }
  return sourcesBuild;
}
