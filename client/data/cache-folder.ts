/**
 * The machine's cache folder for what clients derive from datasets (Fashion-MNIST's split,
 * decoded image folders, normalizations), and the one way files are written there:
 * several client processes may write the same file at once.
 */
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where cached datasets go: `$STREAMSSL_CACHE`, else `~/.cache/streamssl`. */
export function defaultCacheDir(): string {
  return process.env.STREAMSSL_CACHE || join(homedir(), '.cache', 'streamssl');
}

let tempCounter = 0;

/** Writes `bytes` to `file` through a temp file and a rename, so readers never see half a file. */
export async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.${tempCounter++}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
