/**
 * How a run writes its files: atomically (a temporary file, flushed, renamed into place, so
 * a crash never leaves half a file under the final name), and, for what a run cannot do
 * without (checkpoints, the journal, results.json, report.md), again after a pause when the
 * failure may pass: too many open files (EMFILE, a flood of connections), a full disk
 * (ENOSPC, space being freed), a busy or interrupted call. A write that still fails says
 * which file, how often it was tried and why; the caller fails that one stage or arm and
 * the run goes on.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../shared/log.js';

/** Writes `bytes` to `path` so that the file is either complete or as it was. */
export type AtomicWrite = (path: string, bytes: Uint8Array) => Promise<void>;

/** How a run's files are written and how failed writes are retried. */
export interface WritePolicy {
  /** Default `writeFileAtomic`; tests inject failures. */
  write: AtomicWrite;
  /** The pause before each retry of a write that failed for a passing reason; its length is the number of retries. */
  retryDelaysMs: readonly number[];
  /** Logs each retry. */
  logger?: Logger;
}

/** Four retries over about 22 s: long enough for a burst of connections to be shed or a temporary file removed. */
export const DEFAULT_WRITE_POLICY: WritePolicy = { write: writeFileAtomic, retryDelaysMs: [500, 2000, 5000, 15_000] };

/** The default policy with `o.writes` over it, logging retries to `o.logger`. */
export function writePolicy(o: { writes?: Partial<WritePolicy>; logger?: Logger }): WritePolicy {
  return { ...DEFAULT_WRITE_POLICY, ...(o.logger ? { logger: o.logger } : {}), ...o.writes };
}

/** Error codes of failures that may pass; any other (a missing folder, no permission) fails at once. */
const PASSING_CODES: readonly string[] = ['EMFILE', 'ENFILE', 'ENOSPC', 'EDQUOT', 'EAGAIN', 'EBUSY', 'EINTR', 'EIO'];

/** A write that failed for good: `path`, the attempts made and the last error's code. */
export class WriteError extends Error {
  constructor(
    readonly path: string,
    readonly attempts: number,
    readonly code: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WriteError';
  }
}

/**
 * Runs `write` (which writes `path`), again after each of `policy.retryDelaysMs` while it
 * fails for a reason that may pass; throws a `WriteError` naming `path` when it still fails.
 */
export async function retryingWrite(path: string, write: () => Promise<void>, policy: Pick<WritePolicy, 'retryDelaysMs' | 'logger'> = DEFAULT_WRITE_POLICY): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const passing = code !== undefined && PASSING_CODES.includes(code);
      const delay = policy.retryDelaysMs[attempt - 1];
      if (!passing || delay === undefined) {
        const tried = attempt > 1 ? ` (tried ${attempt} times over ${Math.round((Date.now() - started) / 1000)} s)` : '';
        throw new WriteError(path, attempt, code, `could not write ${path}${tried}: ${(err as Error).message}`, { cause: err });
      }
      policy.logger?.warn({ path, code, attempt, retryInMs: delay }, 'a write failed; trying again');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Writes `bytes` to `path` with `policy.write`, retried (see `retryingWrite`). */
export function writeFileRetrying(path: string, bytes: Uint8Array, policy: WritePolicy = DEFAULT_WRITE_POLICY): Promise<void> {
  return retryingWrite(path, () => policy.write(path, bytes), policy);
}

/** Writes a temporary file beside `path`, flushes it to disk, then renames it into place. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const file = await open(temp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (err) {
    // A failed write (a full disk) leaves no temporary file behind to fill it further.
    await file.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** Makes the rename itself durable; not every platform can open a directory, so failure is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // e.g. Windows: directories cannot be opened for fsync
  }
}
