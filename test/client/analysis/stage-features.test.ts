import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeNormalization } from '../../../client/data/normalization.js';
import { generateSynthetic } from '../../../client/data/synthetic.js';
import { extractFeatures, extractStageFeatures } from '../../../client/eval/features.js';
import { createParams, disposeParams, type Params } from '../../../client/models/params.js';
import { backboneDecls, type BackboneOptions } from '../../../client/models/resnet.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

describe('stage features', () => {
  const data = generateSynthetic({ perClass: 3, imageSize: 12 });
  const set = data.train;
  const norm = computeNormalization(set);
  const backbone: BackboneOptions = { inputChannels: set.channels, widths: [4, 8, 6], blocksPerStage: 1, stemStride: 1 };
  let p: Params;
  beforeAll(() => {
    p = createParams(backboneDecls(backbone), 1, 'he-fan-out');
  });
  afterAll(() => disposeParams(p));

  it('gives one feature set per stage, as wide as the stage, over every sample', () => {
    const stages = extractStageFeatures(p, backbone, set, norm, 7);
    expect(stages.map((s) => s.dim)).toEqual(backbone.widths);
    for (const s of stages) {
      expect(s.count).toBe(set.count);
      expect(s.values.length).toBe(set.count * s.dim);
      expect(s.labels).toEqual(set.labels);
    }
    // Every row was written: pooled over 12x12 positions, a random network's ReLUs are never all zero.
    for (const s of stages) {
      for (let i = 0; i < set.count; i++) expect(s.values.subarray(i * s.dim, (i + 1) * s.dim).some((v) => v > 0)).toBe(true);
    }
  });

  it("ends with the backbone's pooled features, and does not depend on the batch size", () => {
    const stages = extractStageFeatures(p, backbone, set, norm, 7);
    expect(stages[stages.length - 1].values).toEqual(extractFeatures(p, backbone, set, norm, 7).values);
    const inOneBatch = extractStageFeatures(p, backbone, set, norm);
    stages.forEach((s, i) => {
      for (let k = 0; k < s.values.length; k++) expect(inOneBatch[i].values[k]).toBeCloseTo(s.values[k], 4);
    });
  });

  it('leaves no tensor behind', () => {
    extractStageFeatures(p, backbone, set, norm, 7);
    const before = tf.memory().numTensors;
    extractStageFeatures(p, backbone, set, norm, 7);
    extractFeatures(p, backbone, set, norm, 7);
    expect(tf.memory().numTensors).toBe(before);
  });
});
