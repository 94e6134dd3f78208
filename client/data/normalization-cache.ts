/**
 * A dataset's normalization, kept on disk for sets whose pixels stay in a file. Every
 * client process computed it on its first task, a pass over every training pixel: 0.2-0.27 s
 * for Fashion-MNIST's 47 MB on the critical path of a run's first stages, and a pass over
 * gigabytes, in each of a run's clients, for a large image folder. Now the first process on
 * a machine computes it and the others read it.
 *
 * A record is found by, and must name, the file's path, size, modification time, inode,
 * header and the set's place and shape in it: a file rewritten in place is another record.
 * A record that is unreadable, foreign or malformed is computed again; one that cannot be
 * written (read-only cache folder, full disk) only costs the pass.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defaultCacheDir, writeAtomically } from './cache-folder.js';
import type { ImageRows, ImageSource } from './image-rows.js';
import { computeNormalization, type Normalization } from './normalization.js';

const VERSION = 1;

/** What a record is valid for: the set's pixels as they are on file now. */
async function keyOf(set: ImageRows): Promise<string> {
  const { file, offset, header, size } = set.source;
  const at = await stat(file);
  return JSON.stringify({
    version: VERSION,
    file: resolve(file),
    size,
    bytesNow: at.size,
    modified: at.mtimeMs,
    inode: at.ino,
    header: createHash('sha256').update(header).digest('hex'),
    offset,
    count: set.count,
    shape: [set.height, set.width, set.channels],
  });
}

/** The normalization a record holds, or undefined when it is not one for `key` with `channels` sound values. */
function parseRecord(text: string, key: string, channels: number): Normalization | undefined {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { key: recorded, mean, std } = record as Record<string, unknown>;
  const sound = (values: unknown, ok: (v: number) => boolean): values is number[] =>
    Array.isArray(values) && values.length === channels && values.every((v) => typeof v === 'number' && Number.isFinite(v) && ok(v));
  if (recorded !== key || !sound(mean, (v) => v >= 0 && v <= 1) || !sound(std, (v) => v > 0 && v <= 1)) return undefined;
  return { mean, std };
}

/**
 * `computeNormalization(set)`, from the record in `cacheDir` when there is a valid one for
 * the set (sets on file only), else computed and recorded there.
 */
export async function cachedNormalization(set: ImageSource, cacheDir: string = defaultCacheDir()): Promise<Normalization> {
  if (!('source' in set)) return computeNormalization(set);
  let key: string;
  try {
    key = await keyOf(set);
  } catch {
    // The file cannot be looked at: reading its pixels will say why.
    return computeNormalization(set);
  }
  const file = join(cacheDir, `normalization-${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
  const cached = await readFile(file, 'utf8').then(
    (text) => parseRecord(text, key, set.channels),
    () => undefined,
  );
  if (cached) return cached;
  const norm = computeNormalization(set);
  // JSON keeps a double's every bit: a record read back is the normalization computed.
  await writeAtomically(file, new TextEncoder().encode(JSON.stringify({ key, ...norm }))).catch(() => undefined);
  return norm;
}
