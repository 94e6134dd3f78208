#!/usr/bin/env node
/**
 * Compiles the TypeScript sources to JavaScript so that the CLI and the processes it
 * spawns start without compiling on the fly (tsx took most of a client's start-up).
 *
 *   node scripts/build-js.mjs        (npm install runs it; bin/streamssl.mjs too, when stale)
 *
 * The sources stay the truth. A build is a folder `dist/<fingerprint>/` named by a hash of
 * every source file's path and content; bin/streamssl.mjs hashes the sources at start and
 * runs the build with that name, or builds it first. A build is written to a temporary
 * folder and renamed into place, and never changed afterwards, so a process still running
 * an older build (a coordinator, its clients) keeps loading the code it started with
 * while sources change under it. Each file is transpiled on its own (esbuild, no bundle,
 * no type check: `npm run typecheck` does that), keeping the tree's shape; files that
 * modules read beside themselves are copied.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Folders that the CLI reaches (bench: `streamssl bench`). Tests are never compiled. */
const SOURCE_FOLDERS = ['cli', 'client', 'server', 'shared', 'bench'];
/** Files beside the modules that read them by their own path (worker scripts, shipped data). */
const COPIED = /\.(cjs|json|txt|py)$/;
const DIST = join(ROOT, 'dist');
/** Marks a finished build; a folder without it is ignored. */
const COMPLETE = 'build-complete.json';
/** Builds kept besides the current one (older ones may still be running). */
const KEEP_OLD_BUILDS = 3;

function filesBelow(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesBelow(path);
    return entry.isFile() ? [path] : [];
  });
}

/** Root-relative paths (with /) of the files a build is made of, sorted. */
function sourceFiles() {
  return SOURCE_FOLDERS.flatMap((folder) => filesBelow(join(ROOT, folder)))
    .filter((file) => file.endsWith('.ts') || COPIED.test(file))
    .map((file) => relative(ROOT, file).split(sep).join('/'))
    .sort();
}

/** 16 hex digits of the SHA-256 over every source's path and content, and package.json. */
export function sourceFingerprint(files = sourceFiles()) {
  const hash = createHash('sha256');
  for (const file of ['package.json', ...files]) hash.update(file).update('\0').update(readFileSync(join(ROOT, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** The compiled CLI entry for the current sources, or null when that build is not there. */
export function currentBuild() {
  const folder = join(DIST, sourceFingerprint());
  return existsSync(join(folder, COMPLETE)) ? join(folder, 'cli', 'main.js') : null;
}

/** Builds the current sources unless built; returns the compiled CLI entry. */
export async function ensureBuild() {
  const files = sourceFiles();
  const fingerprint = sourceFingerprint(files);
  const folder = join(DIST, fingerprint);
  if (!existsSync(join(folder, COMPLETE))) {
    const { build } = await import('esbuild');
    const temporary = join(DIST, `.building-${fingerprint}-${process.pid}`);
    rmSync(temporary, { recursive: true, force: true });
    try {
      await build({
        entryPoints: files.filter((file) => file.endsWith('.ts')).map((file) => join(ROOT, file)),
        outdir: temporary,
        outbase: ROOT,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        sourcemap: true,
        logLevel: 'warning',
      });
      for (const file of files.filter((f) => COPIED.test(f))) {
        mkdirSync(dirname(join(temporary, file)), { recursive: true });
        cpSync(join(ROOT, file), join(temporary, file));
      }
      writeFileSync(join(temporary, COMPLETE), `${JSON.stringify({ fingerprint, files: files.length, builtAt: new Date().toISOString() })}\n`);
      publish(temporary, folder);
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
    pruneOldBuilds(fingerprint);
  }
  return join(folder, 'cli', 'main.js');
}

/** Renames the finished build into place; another process may have put the same build there first. */
function publish(temporary, folder) {
  try {
    renameSync(temporary, folder);
  } catch (err) {
    // ENOTEMPTY/EEXIST: a concurrent build of the same sources won (only finished builds are
    // renamed into place); its files are the same.
    if (!existsSync(join(folder, COMPLETE))) throw err;
  }
}

function pruneOldBuilds(current) {
  const builds = readdirSync(DIST, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== current && !entry.name.startsWith('.'))
    .map((entry) => ({ path: join(DIST, entry.name), time: statSync(join(DIST, entry.name)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const old of builds.slice(KEEP_OLD_BUILDS)) rmSync(old.path, { recursive: true, force: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const entry = await ensureBuild();
  console.error(`scripts/build-js.mjs: ${relative(ROOT, dirname(dirname(entry)))} ready (${Date.now() - started} ms)`);
}
