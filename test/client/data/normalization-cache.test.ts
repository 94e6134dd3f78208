import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsInFile, type ImageRows } from '../../../client/data/image-rows.js';
import { computeNormalization } from '../../../client/data/normalization.js';
import { cachedNormalization } from '../../../client/data/normalization-cache.js';
import type { ImageSet } from '../../../shared/dataset-types.js';

const dir = mkdtempSync(join(tmpdir(), 'streamssl-norm-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 8;
const shape = { height: 6, width: 5, channels: 3, numClasses: 2, classNames: ['a', 'b'] };
const COUNT = 40;
const PIXELS = COUNT * 6 * 5 * 3;

/** Pixels `seed` gives, after a fixed header, in `file`; the set they are read back as, and the same set in memory. */
function writeSet(file: string, seed: number): { rows: ImageRows; memory: ImageSet } {
  const images = Uint8Array.from({ length: PIXELS }, (_, i) => (i * seed + (i >> 3)) & 255);
  const header = Uint8Array.from({ length: HEADER }, (_, i) => 200 + i);
  writeFileSync(file, Buffer.concat([header, images]));
  const labels = Uint8Array.from({ length: COUNT }, (_, i) => i % 2);
  return {
    rows: rowsInFile({ ...shape, count: COUNT, labels }, { file, offset: HEADER, header, size: HEADER + PIXELS }),
    memory: { ...shape, count: COUNT, labels, images },
  };
}

/** `set` with every pixel read counted. */
function counted(set: ImageRows): { set: ImageRows; reads: () => number } {
  let reads = 0;
  return {
    set: { ...set, readRows: (indices, into, at) => { reads += indices.length; set.readRows(indices, into, at); } },
    reads: () => reads,
  };
}

const records = (cacheDir: string) => readdirSync(cacheDir).filter((f) => /^normalization-[0-9a-f]{32}\.json$/.test(f));

describe('a dataset normalization kept on disk', () => {
  it('is computed once, then read back with the same bits, without reading a pixel', async () => {
    const cacheDir = join(dir, 'once');
    const { rows, memory } = writeSet(join(dir, 'once.bin'), 131);
    const first = counted(rows);
    const computed = await cachedNormalization(first.set, cacheDir);
    expect(computed).toEqual(computeNormalization(memory));
    expect(first.reads()).toBe(COUNT);
    expect(records(cacheDir)).toHaveLength(1);
    const again = counted(rows);
    expect(await cachedNormalization(again.set, cacheDir)).toEqual(computed);
    expect(again.reads()).toBe(0);
  });

  it('is computed again when the file was rewritten, even at the same size and header', async () => {
    const cacheDir = join(dir, 'rewritten');
    const file = join(dir, 'rewritten.bin');
    const before = await cachedNormalization(writeSet(file, 131).rows, cacheDir);
    const { rows, memory } = writeSet(file, 17);
    // A rewrite within the file system's timestamp resolution still differs by its time.
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const after = counted(rows);
    const norm = await cachedNormalization(after.set, cacheDir);
    expect(after.reads()).toBe(COUNT);
    expect(norm).toEqual(computeNormalization(memory));
    expect(norm).not.toEqual(before);
  });

  it('computes again over a record that is corrupt, foreign or out of range, and replaces it', async () => {
    const cacheDir = join(dir, 'corrupt');
    const { rows, memory } = writeSet(join(dir, 'corrupt.bin'), 57);
    const expected = computeNormalization(memory);
    await cachedNormalization(rows, cacheDir);
    const [name] = records(cacheDir);
    const record = JSON.parse(readFileSync(join(cacheDir, name), 'utf8')) as { key: string; mean: number[]; std: number[] };
    const bad = ['{"key":', JSON.stringify({ ...record, key: 'another file' }), JSON.stringify({ ...record, mean: [0.5] }), JSON.stringify({ ...record, std: [0.2, 0, 0.2] }), JSON.stringify({ ...record, mean: [0.1, Number.NaN, 0.1] }), 'null'];
    for (const text of bad) {
      writeFileSync(join(cacheDir, name), text);
      const again = counted(rows);
      expect(await cachedNormalization(again.set, cacheDir), text).toEqual(expected);
      expect(again.reads(), text).toBe(COUNT);
      expect(JSON.parse(readFileSync(join(cacheDir, name), 'utf8'))).toEqual(record);
    }
  });

  it('computes without a record for sets in memory, and where the cache folder cannot be written', async () => {
    const { rows, memory } = writeSet(join(dir, 'unwritable.bin'), 91);
    const inMemoryDir = join(dir, 'memory');
    mkdirSync(inMemoryDir);
    expect(await cachedNormalization(memory, inMemoryDir)).toEqual(computeNormalization(memory));
    expect(records(inMemoryDir)).toHaveLength(0);
    const notAFolder = join(dir, 'a-file');
    writeFileSync(notAFolder, 'x');
    expect(await cachedNormalization(rows, notAFolder)).toEqual(computeNormalization(memory));
  });
});
