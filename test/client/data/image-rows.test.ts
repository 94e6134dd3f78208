import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { imageBlocks, readImages, rowsInFile, type ImageRows } from '../../../client/data/image-rows.js';
import { subset } from '../../../client/data/index.js';
import { computeNormalization } from '../../../client/data/normalization.js';
import type { ImageSet } from '../../../shared/dataset-types.js';

const dir = mkdtempSync(join(tmpdir(), 'streamssl-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 16;
// 3x32x32 images: 341 to a megabyte block, so 1,500 of them span five blocks.
const shape = { height: 32, width: 32, channels: 3, numClasses: 7, classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] };

/** An in-memory set and the same set written after a header to `file`, read back as rows. */
function fixture(name: string, count: number): { memory: ImageSet; rows: ImageRows; file: string } {
  const size = 32 * 32 * 3;
  const images = new Uint8Array(count * size);
  for (let i = 0; i < images.length; i++) images[i] = (i * 131 + (i >> 10) * 7) & 255;
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 7);
  const header = Uint8Array.from({ length: HEADER }, (_, i) => i + 1);
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([header, images]));
  const memory: ImageSet = { ...shape, count, images, labels };
  const rows = rowsInFile({ ...shape, count, labels }, { file, offset: HEADER, header, size: HEADER + images.length });
  return { memory, rows, file };
}

const openDescriptors = () => readdirSync('/proc/self/fd').length;

describe('image sets with their pixels on file', () => {
  it('gathers what the same set in memory gathers, any indices in any order, repeats included', () => {
    const { memory, rows } = fixture('gather.bin', 1500);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1499 }), { maxLength: 400 }), fc.nat(5), (indices, at) => {
        const fromFile = new Uint8Array((indices.length + at) * 3072);
        const fromMemory = new Uint8Array((indices.length + at) * 3072);
        readImages(rows, indices, fromFile, at);
        readImages(memory, indices, fromMemory, at);
        expect(Buffer.compare(fromFile, fromMemory)).toBe(0);
      }),
      { numRuns: 60 },
    );
    const picked = subset(rows, [1499, 0, 341, 340, 682, 0]);
    expect(picked).toEqual(subset(memory, [1499, 0, 341, 340, 682, 0]));
    expect(picked.labels).toEqual(Uint8Array.from([1499 % 7, 0, 341 % 7, 340 % 7, 682 % 7, 0]));
  });

  it('streams every image in blocks, and normalizes as the set in memory does', () => {
    const { memory, rows } = fixture('blocks.bin', 1000);
    const blocks = Array.from(imageBlocks(rows, 300 * 3072 + 100), (b) => b.slice());
    expect(blocks.map((b) => b.length / 3072)).toEqual([300, 300, 300, 100]);
    // Images larger than a block come one at a time.
    expect(Array.from(imageBlocks(rows, 1000), (b) => b.length)).toEqual(new Array(1000).fill(3072));
    expect(Array.from(imageBlocks(memory, 3072 * 999), (b) => b.length / 3072)).toEqual([999, 1]);
    expect(Buffer.compare(Buffer.concat(blocks), memory.images)).toBe(0);
    expect(computeNormalization(rows)).toEqual(computeNormalization(memory));
    // The same bits as one pass over every pixel, channel i % 3, in pixel order.
    const sum = [0, 0, 0];
    const sq = [0, 0, 0];
    memory.images.forEach((b, i) => {
      sum[i % 3] += b / 255;
      sq[i % 3] += (b / 255) * (b / 255);
    });
    const n = 1000 * 32 * 32;
    const mean = sum.map((s) => s / n);
    expect(computeNormalization(rows)).toEqual({ mean, std: sq.map((q, c) => Math.sqrt(Math.max(q / n - mean[c] * mean[c], 1e-8))) });
  });

  it('refuses indices out of range and memory too small, naming them', () => {
    const { memory, rows, file } = fixture('bad-index.bin', 10);
    const into = new Uint8Array(4 * 3072);
    // On file and in memory alike.
    for (const set of [rows, memory]) {
      expect(() => readImages(set, [0, 10], into, 0)).toThrow('sample index 10 out of range 0..9');
      expect(() => readImages(set, [0, -1], into, 0)).toThrow('sample index -1 out of range 0..9');
      expect(() => readImages(set, [0.5], into, 0)).toThrow('sample index 0.5 out of range');
    }
    expect(() => readImages(rows, [0, 1], into, 3)).toThrow(`${file}: 2 images from image 3 do not fit 12288 bytes`);
  });

  it('refuses a file rewritten or cut short since it was described, and closes it every time', () => {
    const before = openDescriptors();
    const rewritten = fixture('rewritten.bin', 10);
    const header = new Uint8Array(HEADER).fill(9);
    writeFileSync(rewritten.file, Buffer.concat([header, rewritten.memory.images]));
    expect(() => readImages(rewritten.rows, [0], new Uint8Array(3072), 0)).toThrow(`${rewritten.file}: the file changed since it was described (another header)`);
    const cut = fixture('cut.bin', 10);
    truncateSync(cut.file, HEADER + 5 * 3072);
    expect(() => readImages(cut.rows, [7], new Uint8Array(3072), 0)).toThrow(`${cut.file}: the file changed since it was described (${HEADER + 5 * 3072} bytes, not ${HEADER + 10 * 3072})`);
    rmSync(cut.file);
    expect(() => readImages(cut.rows, [7], new Uint8Array(3072), 0)).toThrow('ENOENT');
    readImages(fixture('fine.bin', 10).rows, [3], new Uint8Array(3072), 0);
    expect(openDescriptors()).toBe(before);
  });
});
