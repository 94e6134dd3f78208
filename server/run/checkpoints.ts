/**
 * The checkpoint store: every stage's model state (and replay buffer) on disk, written
 * atomically so a crash never leaves a half-written checkpoint under the final name, and
 * retried when a write fails for a reason that may pass (see file-writes.ts).
 *
 * Layout: `DIR/checkpoints/<arm>/stage-<k>.state` and `stage-<k>.replay`.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileNameProblem } from '../../shared/schema-primitives.js';
import { sha256Hex } from '../../shared/transfer.js';
import { DEFAULT_WRITE_POLICY, retryingWrite, type WritePolicy } from './file-writes.js';

export interface CheckpointPaths {
  state: string;
  /** Null when the stage kept no replay buffer. */
  replay: string | null;
  /** Hex SHA-256 of each file: a resumed run checks them before handing a checkpoint on. */
  sha256: CheckpointHashes;
}

export interface CheckpointHashes {
  state: string;
  replay: string | null;
}

export interface Checkpoint {
  state: Uint8Array;
  replay: Uint8Array | null;
}

/** Where stage outputs are written; the schedulers need only `write`. */
export interface CheckpointWriter {
  write(arm: string, stage: number, state: Uint8Array, replay: Uint8Array | null): Promise<CheckpointPaths>;
}

/** Checkpoints under `DIR/checkpoints`. */
export class CheckpointStore implements CheckpointWriter {
  readonly root: string;

  constructor(
    outDir: string,
    private readonly writes: WritePolicy = DEFAULT_WRITE_POLICY,
  ) {
    this.root = join(outDir, 'checkpoints');
  }

  /** The files of one stage (whether or not they exist). */
  paths(arm: string, stage: number): { state: string; replay: string } {
    const problem = fileNameProblem(arm);
    // The scenario's schema refuses such names; this guards the path itself.
    if (problem) throw new Error(`checkpoint arm name "${arm}" is not a safe file name: ${problem}`);
    if (!Number.isInteger(stage) || stage < 0) throw new Error(`checkpoint stage must be a non-negative integer, got ${stage}`);
    const base = join(this.root, arm, `stage-${stage}`);
    return { state: `${base}.state`, replay: `${base}.replay` };
  }

  /**
   * Writes one stage's state and replay; a stale replay file is removed when `replay` is
   * null. Throws a `WriteError` naming the file when a write still fails after its retries.
   */
  async write(arm: string, stage: number, state: Uint8Array, replay: Uint8Array | null): Promise<CheckpointPaths> {
    const paths = this.paths(arm, stage);
    await retryingWrite(paths.state, async () => {
      await mkdir(dirname(paths.state), { recursive: true });
      await this.writes.write(paths.state, state);
    }, this.writes);
    if (replay) await retryingWrite(paths.replay, () => this.writes.write(paths.replay, replay), this.writes);
    else await retryingWrite(paths.replay, () => rm(paths.replay, { force: true }), this.writes);
    return { state: paths.state, replay: replay ? paths.replay : null, sha256: { state: sha256Hex(state), replay: replay ? sha256Hex(replay) : null } };
  }

  /**
   * Reads one stage back; throws when its state file is missing, or, given `expected`, when
   * a file's hash (or the presence of a replay file) differs from it.
   */
  async read(arm: string, stage: number, expected?: CheckpointHashes): Promise<Checkpoint> {
    const paths = this.paths(arm, stage);
    const state = new Uint8Array(await readFile(paths.state));
    let replay: Uint8Array | null = null;
    try {
      replay = new Uint8Array(await readFile(paths.replay));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (expected) {
      const where = `checkpoint of arm ${arm} stage ${stage}`;
      if (sha256Hex(state) !== expected.state) throw new Error(`${where}: ${paths.state} does not hold the bytes that were written (SHA-256 differs)`);
      if ((replay === null) !== (expected.replay === null)) throw new Error(`${where}: ${paths.replay} is ${replay ? 'there but was not written' : 'missing'}`);
      if (replay && sha256Hex(replay) !== expected.replay) throw new Error(`${where}: ${paths.replay} does not hold the bytes that were written (SHA-256 differs)`);
    }
    return { state, replay };
  }
}
