/**
 * On-disk cache of decoded folder datasets: decoding ImageNet-100 takes minutes and every
 * client process loads it, so the decoded arrays are kept in
 * `<cacheDir>/folder-<key>.bin`. The key hashes what the bytes depend on: every listed
 * file's path, size and mtime, the split, the image size and channels. A changed,
 * added or removed file gives a new key; a stale or foreign file is ignored.
 */
import { createHash } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageSet, SkippedFiles } from '../../shared/dataset-types.js';
import { readCacheFile } from './file-parts.js';
import { writeAtomically } from './cache-folder.js';
import { rowsInFile, type ImageRows } from './image-rows.js';
import type { FolderEntry } from './folder-layout.js';

const MAGIC = 'SSLFOLD1';
/** Bytes before the JSON header: the magic and the header's length. */
const LEAD_BYTES = 12;

export interface DecodedSplit {
  train: ImageSet;
  test: ImageSet;
  skipped: SkippedFiles;
}

/** The cache file of a dataset: a hash of its files (path, size, mtime) and decoding options. */
export async function folderCacheFile(cacheDir: string, split: { train: readonly FolderEntry[]; test: readonly FolderEntry[] }, size: number, channels: number): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify({ size, channels }));
  for (const [name, entries] of [['train', split.train], ['test', split.test]] as const) {
    hash.update(`\n${name}`);
    for (const e of entries) {
      // A file that vanished is keyed as such: the decoder will skip it too.
      const s = await stat(e.file).catch(() => undefined);
      hash.update(`\n${e.file}\t${e.label}\t${e.domain ?? ''}\t${s ? `${s.size}\t${s.mtimeMs}` : 'missing'}`);
    }
  }
  return join(cacheDir, `folder-${hash.digest('hex').slice(0, 32)}.bin`);
}

/** Arrays of a set in file order; domainOf only when present. */
const blocks = (set: ImageSet) => [set.images, set.labels, ...(set.domainOf ? [set.domainOf] : [])];

type CachedShape = ReturnType<typeof shape>;

function shape(set: ImageSet) {
  return { count: set.count, height: set.height, width: set.width, channels: set.channels, numClasses: set.numClasses, classNames: set.classNames, domains: set.domainOf !== undefined };
}

export function encodeFolderCache(data: DecodedSplit): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ train: shape(data.train), test: shape(data.test), skipped: data.skipped }));
  const parts = [...blocks(data.train), ...blocks(data.test)];
  const out = new Uint8Array(LEAD_BYTES + header.length + parts.reduce((n, p) => n + p.length, 0));
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, LEAD_BYTES);
  let offset = LEAD_BYTES + header.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** What a cache file's JSON header describes. */
interface CacheHeader {
  train: CachedShape;
  test: CachedShape;
  skipped: SkippedFiles;
}

/** The length of the JSON header that `lead` (a file's first LEAD_BYTES) announces, or undefined when it is not a cache file. */
function headerLengthOf(lead: Uint8Array): number | undefined {
  if (lead.length < LEAD_BYTES || new TextDecoder().decode(lead.subarray(0, 8)) !== MAGIC) return undefined;
  return new DataView(lead.buffer, lead.byteOffset, LEAD_BYTES).getUint32(8, true);
}

/** The JSON header in `json`, or undefined when it does not parse. */
function parseHeader(json: Uint8Array): CacheHeader | undefined {
  try {
    return JSON.parse(new TextDecoder().decode(json)) as CacheHeader;
  } catch {
    return undefined;
  }
}

/** The decoded split in `bytes`, or undefined when they are not a whole cache file. */
export function decodeFolderCache(bytes: Uint8Array): DecodedSplit | undefined {
  const headerLength = headerLengthOf(bytes);
  if (headerLength === undefined) return undefined;
  const header = parseHeader(bytes.subarray(LEAD_BYTES, LEAD_BYTES + headerLength));
  if (!header) return undefined;
  let offset = LEAD_BYTES + headerLength;
  const take = (n: number) => bytes.slice(offset, (offset += n));
  const read = ({ domains, ...s }: CachedShape): ImageSet => {
    const set: ImageSet = { ...s, images: take(s.count * s.height * s.width * s.channels), labels: take(s.count) };
    if (domains) set.domainOf = take(s.count);
    return set;
  };
  const train = read(header.train);
  const test = read(header.test);
  return offset === bytes.length ? { train, test, skipped: header.skipped } : undefined;
}

/** The cached split, or undefined when there is none (or it is unreadable). */
export async function readFolderCache(file: string): Promise<DecodedSplit | undefined> {
  return readFile(file).then(
    (bytes) => decodeFolderCache(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    () => undefined,
  );
}

/** Largest header a cache file may declare: its JSON holds shapes, class names and a few skipped files. */
const MAX_HEADER_BYTES = 16 << 20;

/** A cached split whose images stay in the file (./image-rows.ts). */
export interface OpenedSplit {
  train: ImageRows;
  test: ImageRows;
  skipped: SkippedFiles;
}

/**
 * The cached split with its images left in the file: the header, labels and domains are
 * read, images on request. Undefined when there is no whole cache file.
 */
export async function openFolderCache(file: string): Promise<OpenedSplit | undefined> {
  return readCacheFile(file, async ({ size, bytesAt }) => {
    const headerLength = headerLengthOf(await bytesAt(LEAD_BYTES, 0));
    if (headerLength === undefined || headerLength > MAX_HEADER_BYTES || LEAD_BYTES + headerLength > size) return undefined;
    const header = await bytesAt(LEAD_BYTES + headerLength, 0);
    const parsed = parseHeader(header.subarray(LEAD_BYTES));
    if (!parsed) return undefined;
    let offset = header.length;
    const next = async (n: number) => bytesAt(n, (offset += n) - n);
    const rows = async ({ domains, ...s }: CachedShape): Promise<ImageRows> => {
      const imagesAt = offset;
      offset += s.count * s.height * s.width * s.channels;
      // Checked before allocating: a header's counts are not trusted with memory.
      if (!(offset + s.count * (domains ? 2 : 1) <= size)) throw new Error(`${file}: shorter than its header says`);
      const labels = await next(s.count);
      const described = domains ? { ...s, labels, domainOf: await next(s.count) } : { ...s, labels };
      return rowsInFile(described, { file, offset: imagesAt, header, size });
    };
    const train = await rows(parsed.train);
    const test = await rows(parsed.test);
    return offset === size ? { train, test, skipped: parsed.skipped } : undefined;
  });
}

/** Writes the cache; a cache that cannot be written only costs time, never the run. */
export async function writeFolderCache(file: string, data: DecodedSplit): Promise<void> {
  await writeAtomically(file, encodeFolderCache(data)).catch(() => undefined);
}
