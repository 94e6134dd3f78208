/**
 * Writes tiny image-folder datasets for the folder loader's tests: real PNG/JPEG files
 * made with sharp, each class a distinct colour with a per-image brightness step, in the
 * ImageNet, DomainNet or class-folder layout, plus one file of garbage bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const PALETTE = [
  [220, 40, 40],
  [40, 200, 60],
  [40, 60, 220],
  [220, 200, 40],
  [200, 40, 200],
  [40, 200, 200],
];

/** One image of class `c`, number `i`: a coloured square, with a darker stripe in RGB or gray. */
async function writeImage(file: string, c: number, i: number, format: 'png' | 'jpeg'): Promise<void> {
  const [r, g, b] = PALETTE[c % PALETTE.length].map((v) => Math.max(0, v - 8 * i));
  const width = 24 + (i % 3) * 4;
  const image = sharp({ create: { width, height: 20, channels: 3, background: { r, g, b } } })
    .composite([{ input: { create: { width: 6, height: 20, channels: 3, background: { r: 0, g: 0, b: 0 } } }, left: (c * 5) % (width - 6), top: 0 }]);
  await (format === 'png' ? image.png() : image.jpeg()).toFile(file);
}

/** Writes `perClass` images of each class into `dir/<class>/`, alternating PNG and JPEG. */
export async function writeClassFolders(dir: string, classes: readonly string[], perClass: number, ext = { png: 'png', jpeg: 'jpg' }): Promise<void> {
  for (const [c, name] of classes.entries()) {
    await mkdir(join(dir, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const format = i % 2 === 0 ? 'png' : 'jpeg';
      await writeImage(join(dir, name, `img${i}.${ext[format]}`), c, i, format);
    }
  }
}

/** A file named like an image that holds no image. */
export async function writeBrokenImage(file: string): Promise<void> {
  await writeFile(file, Buffer.from('this is not a JPEG, just garbage bytes \x00\x01\x02\xff\xd8'));
}
