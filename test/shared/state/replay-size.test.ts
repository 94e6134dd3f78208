/**
 * The size bound of a replay buffer (shared/state/replay-size.ts): an encoded buffer of n
 * samples takes at most n sample bytes plus `REPLAY_FRAMING_BYTES`, in the array-section
 * layout, with the most classes at the longest names and the largest numbers its header
 * can hold.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CLASSES } from '../../../shared/dataset-geometry.js';
import { decodeReplay, encodeReplay, type ReplayBuffer } from '../../../shared/state/replay-buffer.js';
import { REPLAY_FRAMING_BYTES } from '../../../shared/state/replay-size.js';

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
});
