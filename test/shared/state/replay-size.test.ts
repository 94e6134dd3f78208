/**
 * The size bound of a replay buffer (shared/state/replay-size.ts): an encoded buffer of n
 * samples takes at most n sample bytes plus `REPLAY_FRAMING_BYTES`, in the array-section
 * layout, with the most classes at the longest names and the largest numbers its header
 * can hold; and so does the buffer the client's replay code builds from a multi-domain
 * dataset's chunk, which holds the chunk's domain of every sample.
 */
import { describe, expect, it } from 'vitest';
import { extendReplay } from '../../../client/continual/replay.js';
import { MAX_CLASSES } from '../../../shared/dataset-geometry.js';
import type { ImageSet } from '../../../shared/dataset-types.js';
import { decodeReplay, encodeReplay, type ReplayBuffer } from '../../../shared/state/replay-buffer.js';
import { REPLAY_FRAMING_BYTES } from '../../../shared/state/replay-size.js';
import type { ReplayOptions } from '../../../shared/tasks.js';

/** `MAX_CLASSES` names of 255 UTF-8 bytes each (85 three-byte characters): a folder dataset's longest. */
const LONGEST_NAMES = Array.from({ length: MAX_CLASSES }, (_, k) => `${k}`.padEnd(255 - 3 * 84, '_') + '€'.repeat(84));

const sampleBytes = (b: Pick<ReplayBuffer, 'height' | 'width' | 'channels'>) => b.height * b.width * b.channels + 1;

function buffer(count: number, o: { height?: number; width?: number; channels?: number; seen?: number } = {}): ReplayBuffer {
  const { height = 32, width = 32, channels = 3 } = o;
  return {
    images: new Uint8Array(count * height * width * channels).fill(7),
    labels: Uint8Array.from({ length: count }, (_, i) => i % MAX_CLASSES),
    count,
    height,
    width,
    channels,
    numClasses: MAX_CLASSES,
    classNames: LONGEST_NAMES,
    seen: o.seen ?? count,
  };
}

describe('replay framing bound', () => {
  it('holds every class name at its longest', () => {
    expect(LONGEST_NAMES.every((name) => Buffer.byteLength(name) === 255)).toBe(true);
    expect(new Set(LONGEST_NAMES).size).toBe(MAX_CLASSES);
  });

  it('bounds an encoded buffer of n samples by n sample bytes plus the framing, with the most classes and the largest header numbers', () => {
    const cases: ReplayBuffer[] = [
      ...[0, 1, 3, 7, 8, 1000].map((n) => buffer(n)),
      // Header numbers at their widest msgpack forms: uint32 geometry, a `seen` beyond uint32.
      buffer(2, { height: 70_000, width: 1, channels: 1, seen: 2 ** 53 - 1 }),
      buffer(70_000, { height: 1, width: 1, channels: 1, seen: 2 ** 40 }),
    ];
    for (const b of cases) {
      const bytes = encodeReplay(b);
      const framing = bytes.byteLength - b.count * sampleBytes(b);
      expect(framing, `${b.count} samples of ${b.height}x${b.width}x${b.channels}`).toBeLessThanOrEqual(REPLAY_FRAMING_BYTES);
      // The names are most of it: the bound is not met by leaving them out.
      expect(framing).toBeGreaterThan(MAX_CLASSES * 255);
      expect(decodeReplay(bytes).classNames).toEqual(LONGEST_NAMES);
    }
  });

  it("holds the buffers the client builds from a multi-domain dataset's chunks, whose every sample has a domain", () => {
    // Many small samples: the chunk's domain bytes alone would pass the framing bound.
    const count = 2 * REPLAY_FRAMING_BYTES;
    const chunk: ImageSet = {
      images: new Uint8Array(count * 4).fill(3),
      labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
      count,
      height: 2,
      width: 2,
      channels: 1,
      numClasses: 10,
      classNames: LONGEST_NAMES.slice(0, 10),
      domainOf: Uint8Array.from({ length: count }, (_, i) => i % 4),
    };
    const options: ReplayOptions[] = [
      { mode: 'replay', size: 10, selection: 'reservoir', ratio: 0.5 },
      { mode: 'replay', size: 10, ratio: 0.5 },
      { mode: 'replay', fraction: 0.001, ratio: 0.5 },
    ];
    for (const replay of options) {
      let b: ReplayBuffer | null = null;
      for (let stage = 0; stage < 3; stage++) {
        b = extendReplay(b, chunk, replay, 10 + stage);
        const bytes = encodeReplay(b!);
        expect(bytes.byteLength, `${JSON.stringify(replay)}, stage ${stage}`).toBeLessThanOrEqual(b!.count * sampleBytes(b!) + REPLAY_FRAMING_BYTES);
        expect(decodeReplay(bytes).count).toBe(b!.count);
      }
    }
  });
});
