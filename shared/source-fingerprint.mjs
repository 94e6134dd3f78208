/**
 * The one fingerprint of the sources, for both of its uses:
 *
 * - the name of the compiled build (`dist/<fingerprint>/`, scripts/build-js.mjs), which
 *   bin/streamssl.mjs checks at every start to run the build of the current sources;
 * - the code version a run journal records (server/run/code-version.ts): a run is resumed
 *   only by the same code. A build records the code version of the sources it was made
 *   from, so compiled code reports the code that runs, not sources changed under it.
 *
 * Checking costs a stat per source: each file's SHA-256 is kept in a digest cache
 * (`dist/source-digests.json`) with its size, mtime and ctime, and a file's content is read
 * again only when one of those differs. ctime cannot be set back by tools that restore an
 * mtime (`touch -r`, `tar`), so a changed file is not mistaken for the cached one.
 *
 * Plain JavaScript: the bin runs it before anything is compiled. Functions take the
 * project root, so the copy inside a build works on the project's sources too.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Folders a build compiles: those the CLI reaches (bench: `streamssl bench`). Tests are never compiled. */
export const BUILD_FOLDERS = ['cli', 'client', 'server', 'shared', 'bench'];
/** Files a build copies beside the modules that read them by their own path (worker scripts, shipped data, this module). */
export const COPIED = /\.(cjs|mjs|json|txt|py)$/;
/** The sources that decide what a run computes: its code version (the native kernels included). */
const CODE_FOLDERS = ['client', 'server', 'shared', 'native'];
const CODE_FILE = /\.(ts|cc|h)$/;
/** The file in a finished build's folder that marks it complete and records what it was built from. */
export const BUILD_RECORD = 'build-complete.json';

/** The folder of the builds and of the digest cache, below the project root. */
const BUILDS = 'dist';
const DIGEST_CACHE = join(BUILDS, 'source-digests.json');
const CACHE_FORMAT = 1;
/**
 * A file changed this recently (ms) may change again within its file system's timestamp
 * resolution (up to 2 s on some) under the same stamp: its digest is not cached.
 */
const RACY_MS = 2000;

/** True for a root-relative path (with /) that a build compiles or copies. */
export function isBuilt(path) {
  return BUILD_FOLDERS.includes(path.split('/')[0]) && (path.endsWith('.ts') || COPIED.test(path));
}

function isCode(path) {
  return CODE_FOLDERS.includes(path.split('/')[0]) && CODE_FILE.test(path);
}

/** Root-relative paths (with /) of the files below `folder`; links (such as native/build) are not followed. */
function filesBelow(root, folder) {
  let entries;
  try {
    entries = readdirSync(join(root, folder), { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return entries.flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return filesBelow(root, path);
    return entry.isFile() ? [path] : [];
  });
}

/**
 * Root-relative paths (with /), sorted, of every fingerprinted source: what a build is
 * made of and what decides a run's computation.
 * @param {string} root
 * @returns {string[]}
 */
export function sourceFiles(root) {
  return [...new Set([...BUILD_FOLDERS, ...CODE_FOLDERS])]
    .flatMap((folder) => filesBelow(root, folder))
    .filter((path) => isBuilt(path) || isCode(path))
    .sort();
}

function readCache(root) {
  try {
    const cache = JSON.parse(readFileSync(join(root, DIGEST_CACHE), 'utf8'));
    return cache?.format === CACHE_FORMAT && cache.files && typeof cache.files === 'object' ? cache.files : {};
  } catch {
    return {}; // none yet, or unreadable: every file is hashed
  }
}

/** Replaces the cache in one rename, so a concurrent reader sees the old or the new one; a read-only checkout keeps none. */
function writeCache(root, files) {
  const path = join(root, DIGEST_CACHE);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(join(root, 'dist'), { recursive: true });
    writeFileSync(temporary, `${JSON.stringify({ format: CACHE_FORMAT, files })}\n`);
    renameSync(temporary, path);
  } catch {
    // Not cached: the next check hashes again.
  }
}

/**
 * The SHA-256 (hex) of package.json and every source, keyed by root-relative path, and how
 * many files had to be read (those whose size, mtime or ctime changed since they were cached).
 * @param {string} root
 * @param {{ racyMs?: number }} [options] racyMs: see RACY_MS (tests pass 0)
 * @returns {{ digests: Map<string, string>, hashed: number }}
 */
export function sourceDigests(root, options = {}) {
  const racyMs = options.racyMs ?? RACY_MS;
  const cached = readCache(root);
  const settledBefore = Date.now() - racyMs;
  const digests = new Map();
  const entries = {};
  let hashed = 0;
  for (const file of ['package.json', ...sourceFiles(root)]) {
    const stat = statSync(join(root, file));
    const stamp = [stat.size, stat.mtimeMs, stat.ctimeMs];
    const old = cached[file];
    let digest;
    if (Array.isArray(old) && old.length === 4 && stamp.every((v, i) => v === old[i]) && typeof old[3] === 'string') {
      digest = old[3];
    } else {
      digest = createHash('sha256').update(readFileSync(join(root, file))).digest('hex');
      hashed++;
    }
    digests.set(file, digest);
    if (Math.max(stat.mtimeMs, stat.ctimeMs) < settledBefore) entries[file] = [...stamp, digest];
  }
  if (hashed > 0 || Object.keys(entries).length !== Object.keys(cached).length) writeCache(root, entries);
  return { digests, hashed };
}

/** 16 hex digits of the SHA-256 over the selected files' paths and content digests. */
function combine(digests, select) {
  const hash = createHash('sha256');
  for (const [file, digest] of [...digests].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (select(file)) hash.update(file).update('\0').update(digest).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The build's name: every fingerprinted source and package.json (its dependencies). The
 * native kernels' sources count too, so that the code version a build records stays true.
 * @param {Map<string, string>} digests from sourceDigests
 * @returns {string}
 */
export function buildFingerprint(digests) {
  return combine(digests, () => true);
}

/**
 * `<package version>+<16 hex digits>` over the sources that decide what a run computes
 * (client, server, shared and the native kernels).
 * @param {string} root
 * @param {Map<string, string>} [digests] from sourceDigests
 * @returns {string}
 */
export function codeVersionOf(root, digests = sourceDigests(root).digests) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return `${pkg?.version ?? '0.0.0'}+${combine(digests, isCode)}`;
}

/**
 * The folder of the finished build of the sources under `root` as they are now
 * (`dist/<fingerprint>/`), or null when that build is not there.
 * @param {string} root
 * @returns {string | null}
 */
export function finishedBuildOf(root) {
  const folder = join(root, BUILDS, buildFingerprint(sourceDigests(root).digests));
  return readBuildRecord(folder) ? folder : null;
}

/**
 * The record of a finished build in `folder`, or null when there is none (not finished,
 * or written before builds recorded their code version).
 * @param {string} folder
 * @returns {{ fingerprint: string, codeVersion: string, files: number, builtAt: string } | null}
 */
export function readBuildRecord(folder) {
  let record;
  try {
    record = JSON.parse(readFileSync(join(folder, BUILD_RECORD), 'utf8'));
  } catch {
    return null;
  }
  return typeof record?.fingerprint === 'string' && typeof record.codeVersion === 'string' ? record : null;
}

