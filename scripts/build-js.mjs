#!/usr/bin/env node
/**
 * Compiles the TypeScript sources to JavaScript so that the CLI and the processes it
 * spawns start without compiling on the fly (tsx took most of a client's start-up).
 *
 *   node scripts/build-js.mjs        (npm install runs it; bin/streamssl.mjs too, when stale)
 *
 * The sources stay the truth. A build is a folder `dist/<fingerprint>/` named by the
 * fingerprint of the sources (shared/source-fingerprint.mjs: a hash of every source's path
 * and content, where a file's content is read only when its size or times changed since it
 * was last hashed); bin/streamssl.mjs checks it at start and runs the build with that name,
 * or builds it first. A build is written to a temporary
 * folder and renamed into place, and never changed afterwards, so a process still running
 * an older build (a coordinator, its clients) keeps loading the code it started with
 * while sources change under it. Each file is transpiled on its own (esbuild, no bundle,
 * no type check: `npm run typecheck` does that), keeping the tree's shape; files that
 * modules read beside themselves are copied. The build records the code version of its
 * sources (run journals compare it on resume).
 */
import { cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_RECORD, COPIED, buildFingerprint, codeVersionOf, finishedBuildOf, isBuilt, readBuildRecord, sourceDigests } from '../shared/source-fingerprint.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
/**
 * Sources built with what they import (one file each, no packages left to resolve): they
 * import files of packages that Node cannot load one by one.
 */
const BUNDLED = ['client/backend/tfjs-registrations.ts'];
/** Builds kept besides the current one (older ones may still be running). */
const KEEP_OLD_BUILDS = 3;

/** 16 hex digits naming the build of the current sources. */
export function sourceFingerprint() {
  return buildFingerprint(sourceDigests(ROOT).digests);
}

/** The compiled CLI entry for the current sources, or null when that build is not there. */
export function currentBuild() {
  const folder = finishedBuildOf(ROOT);
  return folder ? join(folder, 'cli', 'main.js') : null;
}

/** Builds the current sources unless built; returns the compiled CLI entry. */
export async function ensureBuild() {
  const { digests } = sourceDigests(ROOT);
  const fingerprint = buildFingerprint(digests);
  const folder = join(DIST, fingerprint);
  if (!readBuildRecord(folder)) {
    const files = [...digests.keys()].filter(isBuilt);
    const { build } = await import('esbuild');
    const temporary = join(DIST, `.building-${fingerprint}-${process.pid}`);
    rmSync(temporary, { recursive: true, force: true });
    try {
      const options = { outdir: temporary, outbase: ROOT, format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
      const compiled = files.filter((file) => file.endsWith('.ts'));
      await build({ ...options, entryPoints: compiled.filter((file) => !BUNDLED.includes(file)).map((file) => join(ROOT, file)) });
      await build({ ...options, entryPoints: BUNDLED.filter((file) => compiled.includes(file)).map((file) => join(ROOT, file)), bundle: true });
      for (const file of files.filter((f) => COPIED.test(f))) {
        mkdirSync(dirname(join(temporary, file)), { recursive: true });
        cpSync(join(ROOT, file), join(temporary, file));
      }
      const record = { fingerprint, codeVersion: codeVersionOf(ROOT, digests), files: files.length, builtAt: new Date().toISOString() };
      writeFileSync(join(temporary, BUILD_RECORD), `${JSON.stringify(record)}\n`);
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
    if (!readBuildRecord(folder)) throw err;
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
