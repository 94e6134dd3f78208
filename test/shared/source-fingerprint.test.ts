/**
 * The source fingerprint (shared/source-fingerprint.mjs): which files it covers, that the
 * build's name and the code version change with the right ones, and that a file's content
 * is read again only when its size or times changed since its digest was cached.
 */
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFingerprint, codeVersionOf, readBuildRecord, sourceDigests, sourceFiles } from '../../shared/source-fingerprint.mjs';
import { useTempDir } from '../support/temp-dir.js';

const FILES: Record<string, string> = {
  'package.json': '{"version":"1.2.3"}',
  'client/a.ts': 'export const a = 1;',
  'server/run/b.ts': 'export const b = 2;',
  'shared/c.mjs': 'export const c = 3;',
  'bench/d.ts': 'export const d = 4;',
  'cli/e.json': '{}',
  'native/k.cc': 'int k;',
  // Not sources: tests, notes, the native build script.
  'test/t.ts': 'export {};',
  'client/notes.md': '# notes',
  'native/build.mjs': '',
};

const dir = useTempDir('streamssl-fingerprint-');

function write(root: string, file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

/** Lets the clock move past the files' last change, so that their digests may be cached. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function fixture(): Promise<string> {
  const root = dir();
  for (const [file, text] of Object.entries(FILES)) write(root, file, text);
  await settle();
  return root;
}

/** Both fingerprints and how many files were read to get them. */
function check(root: string, racyMs = 0) {
  const { digests, hashed } = sourceDigests(root, { racyMs });
  return { build: buildFingerprint(digests), code: codeVersionOf(root, digests), hashed };
}

describe('the source fingerprint', () => {
  it('covers the built sources and the native kernels, not tests or notes', async () => {
    const root = await fixture();
    expect(sourceFiles(root)).toEqual(['bench/d.ts', 'cli/e.json', 'client/a.ts', 'native/k.cc', 'server/run/b.ts', 'shared/c.mjs']);
    expect(check(root).code).toMatch(/^1\.2\.3\+[0-9a-f]{16}$/);
  });

  it('reads a file again only when its size or times changed', async () => {
    const root = await fixture();
    const first = check(root);
    expect(first.hashed).toBe(7); // package.json and six sources
    expect(check(root)).toEqual({ ...first, hashed: 0 });

    // Touched, same content: read again, same fingerprints.
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'client/a.ts'), earlier, earlier);
    await settle();
    expect(check(root)).toEqual({ ...first, hashed: 1 });
    expect(check(root).hashed).toBe(0);

    // Same size, mtime put back: the ctime still tells.
    const { atime, mtime } = statSync(join(root, 'client/a.ts'));
    write(root, 'client/a.ts', 'export const a = 9;');
    utimesSync(join(root, 'client/a.ts'), atime, mtime);
    await settle();
    const changed = check(root);
    expect(changed.hashed).toBe(1);
    expect(changed.build).not.toBe(first.build);
    expect(changed.code).not.toBe(first.code);
  });

  it('changes the code version only with what decides a run, and the build name with any source', async () => {
    const root = await fixture();
    const first = check(root);
    write(root, 'bench/d.ts', 'export const d = 5;');
    const bench = check(root);
    expect(bench.build).not.toBe(first.build);
    expect(bench.code).toBe(first.code);
    write(root, 'native/k.cc', 'int k = 1;');
    const native = check(root);
    expect(native.build).not.toBe(bench.build);
    expect(native.code).not.toBe(bench.code);
    write(root, 'test/t.ts', 'export const t = 1;');
    expect(check(root)).toMatchObject({ build: native.build, code: native.code });
  });

  it('does not cache a file changed within the racy interval, nor trust an unreadable cache', async () => {
    const root = await fixture();
    const first = check(root, 60_000);
    expect(first.hashed).toBe(7);
    expect(check(root, 60_000).hashed).toBe(7);
    check(root);
    write(root, 'dist/source-digests.json', '{not json');
    expect(check(root)).toEqual({ ...first, hashed: 7 });
  });

  it('reads a build record only when it has a code version', () => {
    const root = dir();
    expect(readBuildRecord(root)).toBeNull();
    write(root, 'build-complete.json', '{"fingerprint":"0123456789abcdef","files":3}');
    expect(readBuildRecord(root)).toBeNull();
    write(root, 'build-complete.json', '{"fingerprint":"0123456789abcdef","codeVersion":"1.2.3+0123456789abcdef","files":3}');
    expect(readBuildRecord(root)).toMatchObject({ codeVersion: '1.2.3+0123456789abcdef' });
  });
});
