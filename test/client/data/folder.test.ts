/**
 * The `folder` dataset on tiny real image folders: layouts found, splits made, the broken
 * file skipped and counted, sizes and channels right, real domains driving the domain
 * stream, and WordNet superclasses for ImageNet class folders.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, openDataset, planStream, selectChunks } from '../../../client/data/index.js';
import { detectLayout } from '../../../client/data/folder-layout.js';
import { hierarchyGroups, shippedHierarchy } from '../../../client/data/wordnet.js';
import { parseScenario, type DatasetSpec } from '../../../shared/scenario.js';
import { writeBrokenImage, writeClassFolders } from '../../support/image-folder.js';
import { useTempDir } from '../../support/temp-dir.js';

const folder = (path: string, more: Partial<DatasetSpec> = {}): DatasetSpec => ({ name: 'folder', path, imageSize: 8, ...more }) as DatasetSpec;

// Robin, goose; Chihuahua, Shih-Tzu; ambulance, pickup: in sorted wnid order.
const WNIDS = ['n01558993', 'n01855672', 'n02085620', 'n02086240', 'n02701002', 'n03930630'];

describe('folder dataset', () => {
  const dir = useTempDir('streamssl-folder-');
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'streamssl-folder-cache-'));
    process.env.STREAMSSL_CACHE = cacheDir;
  });
  afterAll(async () => {
    delete process.env.STREAMSSL_CACHE;
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('loads sharp (libvips) only once a folder is read: a client of a built-in dataset never maps it', async () => {
    await writeClassFolders(dir(), ['cat', 'dog'], 2);
    const dataModule = pathToFileURL(join(import.meta.dirname, '../../../client/data/index.ts')).href;
    const script = `
      import { readFileSync } from 'node:fs';
      const mapped = () => readFileSync('/proc/self/maps', 'utf8').includes('libvips');
      const data = await import(${JSON.stringify(dataModule)});
      const before = mapped();
      await data.loadDataset(${JSON.stringify(folder(dir()))});
      console.log(JSON.stringify({ before, after: mapped() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, STREAMSSL_CACHE: cacheDir } });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ before: false, after: true });
  });

  it('loads class folders with a seeded 80/20 split and skips the broken file', async () => {
    await writeClassFolders(dir(), ['cat', 'dog', 'fox'], 5);
    await writeBrokenImage(join(dir(), 'dog', 'broken.jpg'));
    await writeFile(join(dir(), 'cat', 'notes.txt'), 'not an image');
    expect(detectLayout(dir())).toBe('classes');
    const data = await loadDataset(folder(dir()));
    expect(data.train.classNames).toEqual(['cat', 'dog', 'fox']);
    expect([data.train.count, data.test.count]).toEqual([12, 3]);
    expect([...data.test.labels].sort()).toEqual([0, 1, 2]);
    expect(data.skipped?.count).toBe(1);
    expect(data.skipped?.examples[0].file).toBe(join(dir(), 'dog', 'broken.jpg'));
    expect([data.train.height, data.train.width, data.train.channels]).toEqual([8, 8, 3]);
    expect(data.train.images.length).toBe(12 * 8 * 8 * 3);
    // Real pixels: a red class image is mostly red.
    const first = data.train.labels.indexOf(0);
    const px = data.train.images.subarray(first * 192, (first + 1) * 192);
    const channelSum = (c: number) => px.reduce((s, v, i) => (i % 3 === c ? s + v : s), 0);
    expect(channelSum(0)).toBeGreaterThan(2 * channelSum(2));
    // The split is a constant of the folder; the second load comes from the cache.
    const cached = (await readdir(cacheDir)).filter((f) => f.startsWith('folder-'));
    expect(cached.length).toBeGreaterThan(0);
    const again = await loadDataset(folder(dir()));
    expect(again.train).toEqual(data.train);
    expect(again.test).toEqual(data.test);
    expect(again.skipped).toEqual(data.skipped);
    // A file that changes gives a new cache entry.
    await writeBrokenImage(join(dir(), 'fox', 'img0.png'));
    const changed = await loadDataset(folder(dir()));
    expect(changed.skipped?.count).toBe(2);
    expect((await readdir(cacheDir)).length).toBe(cached.length + 1);
    const gray = await loadDataset(folder(dir(), { channels: 1, imageSize: 12 }));
    expect([gray.train.height, gray.train.channels, gray.train.images.length]).toEqual([12, 1, changed.train.count * 144]);
  });

  it('fails with a clear error when nothing is readable', async () => {
    await mkdir(join(dir(), 'a'));
    await writeBrokenImage(join(dir(), 'a', 'x.png'));
    await writeBrokenImage(join(dir(), 'a', 'y.png'));
    await expect(loadDataset(folder(dir()))).rejects.toThrow(/no readable training images.*x\.png|no readable/);
  });

  it('reads the ImageNet layout and groups its wnids by the WordNet hierarchy', async () => {
    await writeClassFolders(join(dir(), 'train'), WNIDS, 3, { png: 'png', jpeg: 'JPEG' });
    await writeClassFolders(join(dir(), 'val'), WNIDS, 1, { png: 'png', jpeg: 'JPEG' });
    expect(detectLayout(dir())).toBe('imagenet');
    const data = await loadDataset(folder(dir(), { classes: WNIDS.slice(2) }));
    expect(data.train.classNames).toEqual(WNIDS.slice(2));
    expect([data.train.count, data.test.count]).toEqual([12, 4]);
    expect(data.superclasses).toEqual([[0], [1], [2], [3]]);
    expect(hierarchyGroups(shippedHierarchy(), WNIDS, 3)).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(hierarchyGroups(shippedHierarchy(), WNIDS, 2)).toEqual([[0, 1, 2, 3], [4, 5]]);
    const plan = planStream(await loadDataset(folder(dir())), { type: 'distant-class', chunks: 6 }, 1);
    expect(plan.chunks.map((c) => c.classes.length)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('groups the ImageNet-100 classes into coarse WordNet superclasses', async () => {
    const { readFile } = await import('node:fs/promises');
    const wnids = (await readFile(new URL('../../../client/data/wordnet/imagenet100.txt', import.meta.url), 'utf8')).split(/\s+/).filter(Boolean);
    const groups = hierarchyGroups(shippedHierarchy(), wnids);
    expect(groups.length).toBeGreaterThanOrEqual(10);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(wnids.map((_, i) => i));
    // All the dog breeds (under "dog") share one group.
    const names = shippedHierarchy();
    const isDog = (w: string) => { for (let p: string | undefined = w; p; p = names.parent[p]) if (names.names[p] === 'dog') return true; return false; };
    const dogGroups = new Set(wnids.flatMap((w, i) => (isDog(w) ? [groups.findIndex((g) => g.includes(i))] : [])));
    expect(dogGroups.size).toBe(1);
  });

  it('reads the DomainNet layout and streams real domains in the given order', async () => {
    for (const d of ['clipart', 'real', 'sketch']) await writeClassFolders(join(dir(), d), ['apple', 'bus'], 5);
    await writeBrokenImage(join(dir(), 'sketch', 'bus', 'bad.png'));
    expect(detectLayout(dir())).toBe('domainnet');
    const data = await loadDataset(folder(dir(), { domains: ['sketch', 'clipart'] }));
    expect(data.domains).toEqual(['sketch', 'clipart']);
    expect(data.skipped?.count).toBe(1);
    expect([data.train.count, data.test.count]).toEqual([16, 4]);
    expect(data.test.domainOf && [...data.test.domainOf].sort()).toEqual([0, 0, 1, 1]);
    const plan = planStream(data, { type: 'domain', chunks: 2 }, 3);
    expect(plan.chunks.map((c) => [c.domains, c.indices.length, c.style])).toEqual([[[0], 8, 'original'], [[1], 8, 'original']]);
    const chunk1 = selectChunks(data, plan, [1]);
    expect([...chunk1.domainOf!]).toEqual(new Array(8).fill(1));
    expect(() => planStream(data, { type: 'domain', chunks: 3 }, 3)).toThrow(/3 chunks but the dataset has only 2 domains/);

    // Opened from its cache: labels and domains read, the pixels left in the file until gathered.
    const opened = await openDataset(folder(dir(), { domains: ['sketch', 'clipart'] }));
    expect('images' in opened.train || 'images' in opened.test).toBe(false);
    expect([opened.train.labels, opened.train.domainOf, opened.test.domainOf, opened.skipped]).toEqual([data.train.labels, data.train.domainOf, data.test.domainOf, data.skipped]);
    expect(planStream(opened, { type: 'domain', chunks: 2 }, 3)).toEqual(plan);
    expect(selectChunks(opened, plan, [1, 0])).toEqual(selectChunks(data, plan, [1, 0]));
    // A cache cut short is not read: decoded again, held in memory, and cached whole again.
    for (const f of (await readdir(cacheDir)).filter((name) => name.startsWith('folder-'))) await truncate(join(cacheDir, f), 200);
    const rebuilt = await openDataset(folder(dir(), { domains: ['sketch', 'clipart'] }));
    expect('images' in rebuilt.train && rebuilt.train.images).toEqual(data.train.images);
    expect('images' in (await openDataset(folder(dir(), { domains: ['sketch', 'clipart'] }))).train).toBe(false);
  });

  it('uses DomainNet split lists when present', async () => {
    for (const d of ['clipart', 'real']) {
      await writeClassFolders(join(dir(), d), ['apple', 'bus'], 3);
      await writeFile(join(dir(), `${d}_train.txt`), `${d}/apple/img0.png 0\n${d}/bus/img0.png 1\n${d}/bus/img1.jpg 1\n`);
      await writeFile(join(dir(), `${d}_test.txt`), `${d}/apple/img1.jpg 0\n${d}/bus/img2.png 1\n`);
    }
    const data = await loadDataset(folder(dir(), { layout: 'domainnet' }));
    expect([data.train.count, data.test.count]).toEqual([6, 4]);
    expect([...data.train.labels]).toEqual([0, 1, 1, 0, 1, 1]);
    expect([...data.train.domainOf!]).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('names the field and place of bad folder specs', async () => {
    const base = { name: 'x', stream: { type: 'instance', chunks: 2 }, arms: [{ name: 'j', mode: 'joint' }] };
    expect(() => parseScenario({ ...base, dataset: { name: 'folder' } })).toThrow(/dataset\.path/);
    expect(() => parseScenario({ ...base, dataset: { name: 'synthetic', layout: 'imagenet' } })).toThrow(/dataset\.layout/);
    await expect(loadDataset(folder(join(dir(), 'missing')))).rejects.toThrow(/dataset\.path: .*missing is not a folder/);
    await writeClassFolders(dir(), ['a'], 2);
    await expect(loadDataset(folder(dir(), { classes: ['a', 'zebra'] }))).rejects.toThrow(/dataset\.classes: "zebra" not found/);
  });
});
