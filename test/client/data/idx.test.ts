import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdxFolder, openIdxFolder, parseIdx } from '../../../client/data/idx.js';
import { readImages, type ImageSource } from '../../../client/data/image-rows.js';
import { loadDataset, openDataset, planStream, selectChunks } from '../../../client/data/index.js';
import { imageBytes } from '../../../shared/dataset-types.js';

const root = mkdtempSync(join(tmpdir(), 'streamssl-idx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** idx bytes: magic 0x000008NN, big-endian dims, then the data. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x800 + dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  return new Uint8Array([...header, ...data]);
}

interface Split {
  images: Uint8Array;
  labels: Uint8Array;
}

function makeSplit(count: number, h: number, w: number, salt: number): Split {
  return {
    images: Uint8Array.from({ length: count * h * w }, (_, i) => (i * 7 + salt) % 256),
    labels: Uint8Array.from({ length: count }, (_, i) => (i + salt) % 10),
  };
}

const train = makeSplit(30, 4, 5, 1);
const test = makeSplit(12, 4, 5, 2);

/** Writes an idx folder; `names` picks the name variant, `gz` compresses. */
function writeFolder(name: string, opts: { gz?: boolean; dotted?: boolean; edit?: (file: string, bytes: Uint8Array) => Uint8Array | null } = {}): string {
  const folder = join(root, name);
  mkdirSync(folder, { recursive: true });
  const files: [string, Uint8Array][] = [
    ['train-images-idx3-ubyte', idx([30, 4, 5], train.images)],
    ['train-labels-idx1-ubyte', idx([30], train.labels)],
    ['t10k-images-idx3-ubyte', idx([12, 4, 5], test.images)],
    ['t10k-labels-idx1-ubyte', idx([12], test.labels)],
  ];
  for (const [file, bytes] of files) {
    const edited = opts.edit ? opts.edit(file, bytes) : bytes;
    if (!edited) continue;
    const fileName = (opts.dotted ? file.replace(/-(idx\d)/, '.$1') : file) + (opts.gz ? '.gz' : '');
    writeFileSync(join(folder, fileName), opts.gz ? gzipSync(edited) : edited);
  }
  return folder;
}

describe('idx loader', () => {
  it.each([
    ['plain', {}],
    ['gzipped', { gz: true }],
    ['dotted names', { dotted: true }],
    ['dotted gzipped', { dotted: true, gz: true }],
  ])('round-trips %s files', async (name, opts) => {
    const d = await loadIdxFolder(writeFolder(name.replace(' ', '-'), opts));
    expect(d.train).toMatchObject({ count: 30, height: 4, width: 5, channels: 1, numClasses: 10 });
    expect(d.train.images).toEqual(train.images);
    expect(d.train.labels).toEqual(train.labels);
    expect(d.test.images).toEqual(test.images);
    expect(d.test.labels).toEqual(test.labels);
    expect(d.train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(d.superclasses).toBeUndefined();
  });

  it('reads classes.txt and superclasses.json', async () => {
    const folder = writeFolder('named');
    writeFileSync(join(folder, 'classes.txt'), 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n');
    writeFileSync(join(folder, 'superclasses.json'), '[[0,1,2,3,4],[5,6,7,8,9,10]]');
    const d = await loadIdxFolder(folder);
    expect(d.train.numClasses).toBe(11);
    expect(d.test.classNames[10]).toBe('k');
    expect(d.superclasses).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10]]);
  });

  it('is reachable through loadDataset with limits', async () => {
    const folder = writeFolder('via-index');
    const d = await loadDataset({ name: 'idx', path: folder, trainLimit: 20, testLimit: 10 });
    expect(d.train.count).toBe(20);
    expect(d.test.count).toBe(10);
  });

  describe('opened (what a task gathers from)', () => {
    /** Every image of `set`, in order. */
    const everyImage = (set: ImageSource) => {
      const all = new Uint8Array(set.count * imageBytes(set));
      readImages(set, Array.from({ length: set.count }, (_, i) => i), all, 0);
      return all;
    };

    it.each([
      ['plain', {}, true],
      ['gzipped', { gz: true }, false],
      ['dotted names', { dotted: true }, true],
    ])('gives the loaded dataset from %s files (pixels left on file: %s)', async (name, opts, onFile) => {
      const folder = writeFolder(`open-${name.replace(' ', '-')}`, opts);
      const [opened, loaded] = [await openIdxFolder(folder), await loadIdxFolder(folder)];
      for (const split of ['train', 'test'] as const) {
        expect('readRows' in opened[split]).toBe(onFile);
        expect('images' in opened[split]).toBe(!onFile);
        const { images, ...described } = loaded[split];
        expect(opened[split]).toMatchObject(described);
        expect(everyImage(opened[split])).toEqual(images);
      }
      expect(everyImage(opened.train)).toEqual(train.images);
    });

    it('gives the chunks and limits loadDataset gives, through openDataset', async () => {
      const spec = { name: 'idx' as const, path: writeFolder('open-index'), trainLimit: 20 };
      const [opened, loaded] = [await openDataset(spec), await loadDataset(spec)];
      // The limited split is gathered into memory; the other stays on file.
      expect(['images' in opened.train, 'readRows' in opened.test]).toEqual([true, true]);
      expect(opened.train).toEqual(loaded.train);
      expect(everyImage(opened.test)).toEqual(loaded.test.images);
      const plan = planStream(opened, { type: 'random-class', chunks: 2 }, 7);
      expect(planStream(loaded, { type: 'random-class', chunks: 2 }, 7)).toEqual(plan);
      expect(selectChunks(opened, plan, [1, 0])).toEqual(selectChunks(loaded, plan, [1, 0]));
    });

    it('refuses a plain image file whose size disagrees with its header, naming it', async () => {
      const folder = writeFolder('open-short', { edit: (f, b) => (f.startsWith('t10k-images') ? b.subarray(0, b.length - 3) : b) });
      await expect(openIdxFolder(folder)).rejects.toThrow(`${join(folder, 't10k-images-idx3-ubyte')}: header says 12x4x5 = 240 data bytes but the file has 237`);
    });

    it('refuses a plain image file shorter than its header, and a bad magic number', async () => {
      const short = writeFolder('open-stub', { edit: (f, b) => (f.startsWith('train-images') ? b.subarray(0, 6) : b) });
      await expect(openIdxFolder(short)).rejects.toThrow(`${join(short, 'train-images-idx3-ubyte')}: truncated header (6 of 16 bytes)`);
      const magic = writeFolder('open-magic', { edit: (f, b) => (f.startsWith('train-images') ? Uint8Array.from([1, 2, 3, 4, ...b.subarray(4)]) : b) });
      await expect(openIdxFolder(magic)).rejects.toThrow(`${join(magic, 'train-images-idx3-ubyte')}: bad magic number 0x01020304`);
    });

    it('refuses to read images from a file rewritten since it was opened', async () => {
      const folder = writeFolder('open-rewritten');
      const opened = await openIdxFolder(folder);
      const file = join(folder, 'train-images-idx3-ubyte');
      writeFileSync(file, idx([15, 8, 5], train.images));
      expect(() => everyImage(opened.train)).toThrow(`${file}: the file changed since it was described (another header)`);
    });
  });

  describe('rejects with clear messages', () => {
    it('a missing folder', async () => {
      await expect(loadIdxFolder(join(root, 'nope'))).rejects.toThrow(`idx dataset ${join(root, 'nope')}: folder not found`);
    });

    it('a missing file, named', async () => {
      const folder = writeFolder('missing', { edit: (f, b) => (f.startsWith('t10k-labels') ? null : b) });
      await expect(loadIdxFolder(folder)).rejects.toThrow(/missing t10k-labels-idx1-ubyte \(also tried t10k-labels-idx1-ubyte\.gz, t10k-labels\.idx1-ubyte/);
    });

    it('a bad magic number', async () => {
      const folder = writeFolder('magic', { edit: (f, b) => (f.startsWith('train-images') ? Uint8Array.from([1, 2, 3, 4, ...b.subarray(4)]) : b) });
      await expect(loadIdxFolder(folder)).rejects.toThrow(`${join(folder, 'train-images-idx3-ubyte')}: bad magic number 0x01020304`);
    });

    it('a header that disagrees with the data size', async () => {
      const folder = writeFolder('short', { gz: true, edit: (f, b) => (f.startsWith('train-images') ? b.subarray(0, b.length - 3) : b) });
      await expect(loadIdxFolder(folder)).rejects.toThrow(`train-images-idx3-ubyte.gz: header says 30x4x5 = 600 data bytes but the file has 597`);
    });

    it('image and label counts that differ', async () => {
      const folder = writeFolder('counts', { edit: (f, b) => (f.startsWith('t10k-labels') ? idx([11], test.labels.subarray(0, 11)) : b) });
      await expect(loadIdxFolder(folder)).rejects.toThrow(/12 images in .*t10k-images-idx3-ubyte but 11 labels in .*t10k-labels-idx1-ubyte/);
    });

    it('corrupt gzip data', async () => {
      const folder = writeFolder('gz-corrupt', { gz: true });
      const file = join(folder, 'train-labels-idx1-ubyte.gz');
      writeFileSync(file, Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
      await expect(loadIdxFolder(folder)).rejects.toThrow(`${file}: cannot decompress gzip data`);
    });

    it('labels beyond classes.txt', async () => {
      const folder = writeFolder('few-names');
      writeFileSync(join(folder, 'classes.txt'), 'a\nb\n');
      await expect(loadIdxFolder(folder)).rejects.toThrow(/train-labels-idx1-ubyte: label \d+ at index \d+ but classes.txt names only 2 classes/);
    });

    it('unsupported data types and truncated headers', () => {
      expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0]), 'f')).toThrow('f: unsupported idx data type 0x0d');
      expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 'f')).toThrow('f: truncated header');
      expect(() => parseIdx(Uint8Array.from([0, 0]), 'f')).toThrow('f: too short');
    });

    it('an idx dataset without a path', async () => {
      await expect(loadDataset({ name: 'idx' })).rejects.toThrow(/^dataset\.path/);
    });
  });
});
