import { describe, expect, it } from 'vitest';
import type { StreamSpec } from '../../../shared/scenario.js';
import { splitStream } from '../../../shared/stream/index.js';
import { makeLabels } from './helpers.js';

const labels = makeLabels(10, 5);
const groups = [[0, 2, 4, 6], [1, 3], [5, 7, 9], [8]];
const split =
  (spec: StreamSpec, l: Uint8Array = labels, superclasses: number[][] | null = groups) =>
  () =>
    splitStream(spec, l, 10, 0, superclasses ?? undefined);

describe('stream spec errors name the field', () => {
  it('more chunks than classes', () => {
    expect(split({ type: 'random-class', chunks: 12 })).toThrow('stream.chunks: 12 chunks but only 10 classes');
  });

  it('more chunks than samples', () => {
    expect(split({ type: 'instance', chunks: 51 })).toThrow('stream.chunks: 51 chunks but only 50 samples');
    expect(split({ type: 'domain', chunks: 51 })).toThrow('stream.chunks: 51 chunks but only 50 samples');
  });

  it('bad chunk counts', () => {
    expect(split({ type: 'instance', chunks: 0 })).toThrow(/^stream\.chunks: expected a positive integer/);
    expect(split({ type: 'instance', chunks: 1.5 })).toThrow(/^stream\.chunks/);
  });

  it('labels out of range', () => {
    expect(split({ type: 'instance', chunks: 2 }, Uint8Array.from([0, 1, 12]))).toThrow('labels[2]: class 12 out of range for 10 classes');
  });

  it('unknown stream type', () => {
    expect(split({ type: 'bogus', chunks: 2 } as unknown as StreamSpec)).toThrow(/^stream\.type: unknown stream type "bogus"/);
  });

  it('domain styles of the wrong length or kind', () => {
    expect(split({ type: 'domain', chunks: 3, styles: ['original'] })).toThrow('stream.styles: needs one style per chunk (3), got 1');
    expect(split({ type: 'domain', chunks: 1, styles: ['sepia' as 'original'] })).toThrow(/stream\.styles\[0\]: unknown style "sepia"/);
  });

  describe('distant-class', () => {
    it('without any groups', () => {
      expect(split({ type: 'distant-class', chunks: 2 }, labels, null)).toThrow(/^stream\.superclasses: the distant-class stream needs class groups/);
    });

    it('more chunks than groups', () => {
      expect(split({ type: 'distant-class', chunks: 5 })).toThrow("stream.chunks: 5 chunks but only 4 superclass groups (the dataset's superclasses)");
      expect(split({ type: 'distant-class', chunks: 3, superclasses: [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]] })).toThrow(
        'stream.chunks: 3 chunks but only 2 superclass groups (stream.superclasses)',
      );
    });

    it('groups that are not a partition of the classes', () => {
      const bad = (superclasses: number[][]) => split({ type: 'distant-class', chunks: 2, superclasses });
      expect(bad([[0, 1, 2, 3, 4], [4, 5, 6, 7, 8, 9]])).toThrow('stream.superclasses: class 4 is in groups 0 and 1; groups must be disjoint');
      expect(bad([[0, 1, 2, 3], [5, 6, 7, 8, 9]])).toThrow('stream.superclasses: class 4 in no group');
      expect(bad([[0, 1, 2], [5, 6, 7, 8, 9]])).toThrow('stream.superclasses: classes 3, 4 in no group');
      expect(bad([[0, 1, 2, 3, 4, 10], [5, 6, 7, 8, 9]])).toThrow('stream.superclasses[0][5]: class 10 out of range 0..9');
      expect(bad([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], []])).toThrow('stream.superclasses[1]: empty group');
    });

    it('a chunk whose classes have no samples', () => {
      const onlyLow = Uint8Array.from([0, 1, 2, 3, 4, 0, 1]);
      expect(() => splitStream({ type: 'distant-class', chunks: 2, superclasses: [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]] }, onlyLow, 10, 0)).toThrow(
        /stream\.chunks: chunk \d would be empty/,
      );
    });
  });
});
