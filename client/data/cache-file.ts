/**
 * Reading a dataset cache file in parts (header, labels) without loading it whole: the
 * openers of ./fashion-mnist.ts and ./folder-cache.ts, which leave the images in the file
 * (./image-rows.ts).
 */
import { open, type FileHandle } from 'node:fs/promises';

/** A cache file open for reading: its size, and exact reads at given places. */
export interface CacheReader {
  size: number;
  /** `bytes` bytes from `position`; throws when the file ends first. */
  bytesAt(bytes: number, position: number): Promise<Uint8Array>;
}

/**
 * Runs `read` on `file` and closes it. Undefined when the file is absent or unreadable or
 * `read` finds it foreign, stale or short (throws): a cache that cannot be read is rebuilt.
 */
export async function readCacheFile<T>(file: string, read: (reader: CacheReader) => Promise<T | undefined>): Promise<T | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined;
  }
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
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
