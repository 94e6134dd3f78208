/**
 * Reading a dataset file in parts (header, labels) without loading it whole: the openers
 * of ./fashion-mnist.ts, ./folder-cache.ts and ./idx.ts, which leave the images in the file
 * (./image-rows.ts).
 */
import { open, type FileHandle } from 'node:fs/promises';

/** A file open for reading: its size, and exact reads at given places. */
export interface FileParts {
  size: number;
  /** `bytes` bytes from `position`; throws when the file ends first. */
  bytesAt(bytes: number, position: number): Promise<Uint8Array>;
}

/** Runs `read` on `file` and closes it; an error opening or reading it is thrown. */
export async function readFileParts<T>(file: string, read: (parts: FileParts) => Promise<T>): Promise<T> {
  const handle: FileHandle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    return await read({
      size,
      async bytesAt(bytes, position) {
        const out = new Uint8Array(bytes);
        const { bytesRead } = await handle.read(out, 0, bytes, position);
        if (bytesRead !== bytes) throw new Error(`${file}: ended before byte ${position + bytes}`);
        return out;
      },
    });
  } finally {
    await handle.close();
  }
}

/**
 * `readFileParts` for a cache file: undefined when the file is absent or unreadable or
 * `read` finds it foreign, stale or short (throws): a cache that cannot be read is rebuilt.
 */
export async function readCacheFile<T>(file: string, read: (parts: FileParts) => Promise<T | undefined>): Promise<T | undefined> {
  return readFileParts(file, read).catch(() => undefined);
}
