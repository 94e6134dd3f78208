/**
 * The code version a run journal records: the package version and a hash of the sources
 * that decide what a run computes (client, server, shared and the native kernels). A run
 * is resumed only by the same code: only then do its remaining stages continue the same
 * computation, so that the results equal an uninterrupted run's.
 *
 * Compiled code reports the version its build recorded when it was made: the code that
 * runs, even when the sources have changed since. The sources (tsx, vitest) are hashed;
 * shared/source-fingerprint.mjs computes both.
 */
import { CODE_ROOT, COMPILED, PROJECT_ROOT } from '../../shared/code-location.js';
import { BUILD_RECORD, codeVersionOf, readBuildRecord } from '../../shared/source-fingerprint.mjs';

let cached: string | undefined;

/** `<package version>+<16 hex digits of the sources' SHA-256>`, computed once per process. */
export function codeVersion(): string {
  cached ??= compute();
  return cached;
}

function compute(): string {
  if (!COMPILED) return codeVersionOf(PROJECT_ROOT);
  const record = readBuildRecord(CODE_ROOT);
  if (!record) throw new Error(`${CODE_ROOT} has no readable ${BUILD_RECORD} with a code version: rebuild with  npm run build`);
  return record.codeVersion;
}
