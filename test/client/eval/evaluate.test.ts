import { beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../../client/data/synthetic.js';
import { planStream } from '../../../client/data/index.js';
import { computeNormalization } from '../../../client/data/normalization.js';
import { evaluateBackbone } from '../../../client/eval/evaluate.js';
import { encoderDecls, encoderOptions } from '../../../client/models/encoder.js';
import { createParams, disposeParams } from '../../../client/models/params.js';
import { deriveSeed, sampledIndices } from '../../../shared/random.js';
import { parseScenario } from '../../../shared/scenario.js';
import { testSamplesWithMix } from '../../../shared/stream/index.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

const scenario = parseScenario({
  name: 'eval',
  dataset: { name: 'synthetic', perClass: 20, imageSize: 12 },
  stream: { type: 'random-class', chunks: 2 },
  model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 8, projectionDim: 4 },
  arms: [{ name: 'r', mode: 'relay' }],
  evaluation: { trainSamples: 100, testSamples: 40, linear: { epochs: 2 } },
});

describe('per-chunk evaluation', () => {
  const data = generateSynthetic({ perClass: 20, imageSize: 12 });
  const norm = computeNormalization(data.train);
  const encoder = encoderOptions(scenario.model, 1);

  it('scores each class-incremental chunk on the test samples of its classes', () => {
    const p = createParams(encoderDecls(encoder), 1, encoder.init);
    const plan = planStream(data, scenario.stream, 1);
    const m = evaluateBackbone(p, encoder.backbone, data, norm, scenario.evaluation, 1, plan);
    expect(m.perChunk!.map((c) => c.chunk)).toEqual([0, 1]);
    expect(m.perChunk!.reduce((total, c) => total + c.samples, 0)).toBe(40);
    // The overall accuracy is the sample-weighted mean of the chunks' (they partition the classes).
    const weighted = m.perChunk!.reduce((total, c) => total + c.linearTop1 * c.samples, 0) / 40;
    expect(weighted).toBeCloseTo(m.linearTop1, 6);
    // Timed once, by the scoring itself: the seconds results.json and the stage events report.
    expect(m.seconds).toBeGreaterThan(0);
    expect(Number.isFinite(m.seconds)).toBe(true);
    disposeParams(p);
  });

  it('scores each domain chunk on the test split in its own style', () => {
    const p = createParams(encoderDecls(encoder), 1, encoder.init);
    const plan = planStream(data, { type: 'domain', chunks: 2, styles: ['original', 'inverted'] }, 1);
    const m = evaluateBackbone(p, encoder.backbone, data, norm, scenario.evaluation, 1, plan);
    expect(m.perChunk!.every((c) => c.samples === 40)).toBe(true);
    expect(m.perChunk![0].linearTop1).toBeCloseTo(m.linearTop1, 6);
    disposeParams(p);
  });

  it('scores each Dirichlet chunk on test samples in its own class mix', () => {
    const p = createParams(encoderDecls(encoder), 1, encoder.init);
    const plan = planStream(data, { type: 'dirichlet', chunks: 3, alpha: 0.1 }, 1);
    const m = evaluateBackbone(p, encoder.backbone, data, norm, scenario.evaluation, 1, plan);
    // The same seeded 40 test samples the evaluation draws; each chunk gets its mix's subsample.
    const test = sampledIndices(data.test.count, 40, deriveSeed(1, 'eval', 'test'));
    const testLabels = Uint8Array.from(test, (i) => data.test.labels[i]);
    plan.chunks.forEach((chunk, k) => {
      expect(m.perChunk![k].samples).toBe(testSamplesWithMix(testLabels, chunk.classCounts!, deriveSeed(1, 'eval', 'chunk-mix', chunk.id)).length);
    });
    // Not the class-incremental rule (every test sample of a class the chunk holds).
    const ofClasses = plan.chunks.map((chunk) => testLabels.filter((l) => chunk.classes.includes(l)).length);
    expect(m.perChunk!.map((c) => c.samples)).not.toEqual(ofClasses);
    disposeParams(p);
  });

  it('leaves per-chunk scores out without a plan', () => {
    const p = createParams(encoderDecls(encoder), 1, encoder.init);
    expect(evaluateBackbone(p, encoder.backbone, data, norm, scenario.evaluation, 1).perChunk).toBeUndefined();
    disposeParams(p);
  });
});
