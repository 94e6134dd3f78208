/**
 * Where the running code is: compiled (`dist/<fingerprint>/**\/*.js`, built from the
 * TypeScript sources by scripts/build-js.mjs) or the sources themselves (tsx, vitest).
 * Paths to files beside the code (entry points of child processes, the native addon,
 * the dashboard's page sources) are taken from here, so that they hold either way.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This module runs compiled; so then does everything it was built with. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The project root: it holds package.json, native/, node_modules/ and the TypeScript sources. */
export const PROJECT_ROOT = fileURLToPath(new URL(COMPILED ? '../../../' : '../', import.meta.url));

/** The root of the code that runs: the build's folder, or the project root. */
export const CODE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The file to start for a module given by its root-relative path without extension
 * (`client/main`): from the same build when this code runs compiled, else the source.
 */
export function entryFile(module: string): string {
  return join(CODE_ROOT, `${module}${COMPILED ? '.js' : '.ts'}`);
}
