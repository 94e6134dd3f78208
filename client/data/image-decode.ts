/**
 * Decodes image files into small square uint8 HWC pixels with sharp (libvips): each file
 * is scaled to cover `size` x `size` and center-cropped, then made gray or RGB. Decoding
 * runs on libuv's thread pool, so the event loop stays free; a bounded number of files
 * is in flight at once. A file that cannot be decoded is reported, never thrown.
 */
import { availableParallelism } from 'node:os';
import type { Sharp, SharpOptions } from 'sharp';

export interface DecodeOptions {
  size: number;
  channels: 1 | 3;
  /** Files decoded at once; default twice the cores (I/O overlaps decoding). */
  concurrency?: number;
}

export interface DecodeResult {
  /** `files.length * size * size * channels` bytes; a failed file's slot is left zero. */
  pixels: Uint8Array;
  /** Whether each file decoded. */
  ok: boolean[];
  failures: { file: string; reason: string }[];
}

let loaded: Promise<(file: string, options: SharpOptions) => Sharp> | null = null;

/**
 * sharp, loaded on first use: only runs on image folders decode files, and loading libvips
 * costs every client process about 115 ms and 30 MB resident at start (measured with
 * `node -e "import('sharp')"` against an empty script).
 */
function loadSharp(): Promise<(file: string, options: SharpOptions) => Sharp> {
  loaded ??= import('sharp').then(({ default: sharp }) => {
    // Many small images at once: one libvips thread per image beats several threads on one
    // image, and the decoded-file cache would only hold memory we never ask for again.
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return loaded;
}

/** Pixels of one file, exactly `size * size * channels` bytes. */
export async function decodeImage(file: string, size: number, channels: 1 | 3): Promise<Buffer> {
  const sharp = await loadSharp();
  const pipeline = sharp(file, { failOn: 'error' }).rotate().resize(size, size, { fit: 'cover' }).removeAlpha();
  const { data, info } = await (channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== channels) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x${channels}`);
  }
  return data;
}

/** Decodes `files` in order into one block of pixels. */
export async function decodeImages(files: readonly string[], opts: DecodeOptions): Promise<DecodeResult> {
  const bytes = opts.size * opts.size * opts.channels;
  const pixels = new Uint8Array(files.length * bytes);
  const ok = new Array<boolean>(files.length).fill(false);
  const failures: DecodeResult['failures'] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      try {
        pixels.set(await decodeImage(files[i], opts.size, opts.channels), i * bytes);
        ok[i] = true;
      } catch (err) {
        failures.push({ file: files[i], reason: (err as Error).message.split('\n')[0] });
      }
    }
  };
  const concurrency = Math.max(1, opts.concurrency ?? 2 * availableParallelism());
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  // Completion order varies with timing; the report should not.
  failures.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { pixels, ok, failures };
}
