/**
 * Vitest global setup: builds the compiled JavaScript of the current sources unless it is
 * there (scripts/build-js.mjs; a few seconds after a change, nothing otherwise). Processes
 * the tests start (clients, analysis processes, the bench's children) then run that build
 * of the very sources under test (shared/code-location.ts `entryFile`), as a user's do,
 * instead of compiling the sources through tsx in every process.
 */
import { ensureBuild } from '../../scripts/build-js.mjs';

export default async function buildSources(): Promise<void> {
  await ensureBuild();
}
