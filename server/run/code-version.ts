/**
 * The code version a run journal records: the package version and a hash of the sources
 * that decide what a run computes (client, server, shared and the native kernels). A run
 * is resumed only by the same code: only then do its remaining stages continue the same
 * computation, so that the results equal an uninterrupted run's.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PROJECT_ROOT } from '../../shared/code-location.js';

const ROOT = PROJECT_ROOT;
const SOURCE_FOLDERS = ['client', 'server', 'shared', 'native'];
const SOURCE_FILE = /\.(ts|cc|h)$/;

let cached: string | undefined;

/** `<package version>+<16 hex digits of the sources' SHA-256>`, computed once per process. */
export function codeVersion(): string {
  cached ??= compute();
  return cached;
}

function compute(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: string };
  const hash = createHash('sha256');
  const files = SOURCE_FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)))
    .map((file) => relative(ROOT, file).split(sep).join('/'))
    .sort();
  for (const file of files) hash.update(file).update('\0').update(readFileSync(join(ROOT, file))).update('\0');
  return `${pkg.version ?? '0.0.0'}+${hash.digest('hex').slice(0, 16)}`;
}

/** Source files below `dir`; links (such as native/build) are not followed. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && SOURCE_FILE.test(entry.name) ? [path] : [];
  });
}
