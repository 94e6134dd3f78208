import { describe, expect, it } from 'vitest';
import { DEFAULT_LOGISTIC_REGRESSION, logisticRegression, predict, prototypeClassifier, type LabeledRows } from '../../../client/analysis/episode-classifiers.js';
import { evaluateFewShot } from '../../../client/analysis/few-shot.js';
import type { FeatureSet } from '../../../client/eval/features.js';
import { Random } from '../../../shared/random.js';
import { gaussianMatrix } from '../../support/random-features.js';

/** `perClass` samples of each class around a random center of length `separation`, with unit noise per feature. */
function clusters(classes: number, perClass: number, dim: number, separation: number, seed: number): FeatureSet {
  const rng = new Random(seed);
  const centers = Array.from({ length: classes }, () => {
    const c = Array.from({ length: dim }, () => rng.normal());
    const norm = Math.hypot(...c);
    return c.map((v) => (v * separation) / norm);
  });
  const count = classes * perClass;
  const values = new Float32Array(count * dim);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classes;
    for (let d = 0; d < dim; d++) values[i * dim + d] = centers[labels[i]][d] + rng.normal();
  }
  return { values, labels, count, dim };
}

/** Gaussian features whose labels say nothing about them. */
function noise(classes: number, perClass: number, dim: number, seed: number): FeatureSet {
  const count = classes * perClass;
  return { ...gaussianMatrix(count, dim, seed), labels: Uint8Array.from({ length: count }, (_, i) => i % classes) };
}

describe('few-shot episodes', () => {
  it.each(['prototype', 'linear'] as const)('%s: near 100 percent on well separated classes, near chance on random labels', (classifier) => {
    const separated = clusters(10, 40, 64, 30, 1);
    for (const shots of [1, 5]) {
      const r = evaluateFewShot(separated, { ways: 5, shots, classifier, episodes: 100, seed: 1 });
      expect(r.mean).toBeGreaterThan(99);
    }
    // Chance is 1/5. Episodes hold 75 queries each, so an episode's accuracy spreads by about
    // sqrt(0.2 * 0.8 / 75) = 4.6 points, and the mean of 600 by under 0.5: 2 points is ample.
    const r = evaluateFewShot(noise(10, 40, 64, 2), { ways: 5, shots: 5, classifier, seed: 2 });
    expect(r.episodes).toBe(600);
    expect(Math.abs(r.mean - 20)).toBeLessThan(2);
  });

  it.each(['prototype', 'linear'] as const)('%s: works on directions, blind to the length of each feature vector', (classifier) => {
    const features = clusters(6, 30, 16, 2, 10);
    // Powers of two: the unit rows come out bit for bit the same.
    const rescaled = { ...features, values: features.values.map((v, i) => v * 2 ** ((Math.floor(i / 16) % 9) - 4)) };
    const options = { ways: 5, shots: 5, classifier, episodes: 30, seed: 11 };
    expect(evaluateFewShot(rescaled, options)).toEqual(evaluateFewShot(features, options));
  });

  it('draws the same episodes from the same seed, and others from another', () => {
    const features = clusters(8, 30, 16, 2, 3);
    const options = { ways: 4, shots: 1, queries: 10, episodes: 50, classifier: 'linear' as const, seed: 4 };
    const first = evaluateFewShot(features, options);
    expect(evaluateFewShot(features, options)).toEqual(first);
    // Not the mean alone: two seeds can land on the same mean (2,000 queries, steps of 0.05).
    expect(evaluateFewShot(features, { ...options, seed: 5 })).not.toEqual(first);
    expect(first).toMatchObject({ ways: 4, shots: 1, queries: 10, episodes: 50, classifier: 'linear' });
  });

  it('reports a 95% interval of 1.96 std / sqrt(episodes), which narrows with more episodes', () => {
    const features = clusters(10, 30, 16, 2, 6);
    const few = evaluateFewShot(features, { ways: 5, shots: 1, episodes: 40, seed: 7 });
    const many = evaluateFewShot(features, { ways: 5, shots: 1, episodes: 640, seed: 7 });
    expect(many.mean).toBeGreaterThan(30);
    expect(many.mean).toBeLessThan(90);
    expect(many.std).toBeGreaterThan(3);
    expect(few.ci95).toBeCloseTo((1.96 * few.std) / Math.sqrt(40), 10);
    expect(many.ci95).toBeCloseTo((1.96 * many.std) / Math.sqrt(640), 10);
    // 16 times the episodes: a quarter of the interval, give or take the spread of std.
    expect(many.ci95).toBeLessThan(few.ci95 / 2.5);
  });

  it('names the class and the counts when samples or classes are too few', () => {
    const features = clusters(6, 30, 8, 2, 8);
    const short = { ...features, labels: features.labels.map((label, i) => (label === 3 && i >= 60 ? 0 : label)) };
    expect(() => evaluateFewShot(short, { ways: 5, shots: 5, seed: 1 })).toThrow(/class 3 has 10 samples, fewer than shots \+ queries = 20/);
    expect(() => evaluateFewShot(features, { ways: 7, shots: 1, seed: 1 })).toThrow(/6 classes, fewer than 7/);
    expect(() => evaluateFewShot(features, { ways: 5, shots: 0, seed: 1 })).toThrow(/shots/);
    expect(() => evaluateFewShot(features, { ways: 5, shots: 1, classifier: 'knn' as 'linear', seed: 1 })).toThrow(/classifier/);
  });
});

describe('episode classifiers', () => {
  /** 12 unit rows in 7 dimensions, 3 classes. */
  function support(): LabeledRows {
    const rng = new Random(9);
    const rows = Float64Array.from({ length: 12 * 7 }, () => rng.normal());
    for (let i = 0; i < 12; i++) {
      const row = rows.subarray(i * 7, (i + 1) * 7);
      const norm = Math.hypot(...row);
      row.forEach((v, d) => (row[d] = v / norm));
    }
    return { rows, labels: Uint8Array.from({ length: 12 }, (_, i) => i % 3), count: 12, dim: 7 };
  }

  it('logistic regression takes the same steps as gradient descent on the weights themselves', () => {
    const s = support();
    const o = { steps: 40, learningRate: 0.8, weightDecay: 0.05 };
    // The textbook form: the gradient of mean cross-entropy + weightDecay / 2 |W|^2 over W and b.
    const w = new Float64Array(3 * 7);
    const b = new Float64Array(3);
    for (let step = 0; step < o.steps; step++) {
      const gw = w.map((v) => o.weightDecay * v);
      const gb = new Float64Array(3);
      for (let i = 0; i < s.count; i++) {
        const x = s.rows.subarray(i * 7, (i + 1) * 7);
        const z = [0, 1, 2].map((c) => b[c] + x.reduce((total, v, d) => total + v * w[c * 7 + d], 0));
        const e = z.map((v) => Math.exp(v - Math.max(...z)));
        const total = e.reduce((t, v) => t + v, 0);
        for (let c = 0; c < 3; c++) {
          const r = (e[c] / total - (s.labels[i] === c ? 1 : 0)) / s.count;
          gb[c] += r;
          for (let d = 0; d < 7; d++) gw[c * 7 + d] += r * x[d];
        }
      }
      w.forEach((v, k) => (w[k] = v - o.learningRate * gw[k]));
      b.forEach((v, c) => (b[c] = v - o.learningRate * gb[c]));
    }
    const fitted = logisticRegression(s, 3, o);
    fitted.weights.forEach((v, k) => expect(v).toBeCloseTo(w[k], 10));
    fitted.bias.forEach((v, c) => expect(v).toBeCloseTo(b[c], 10));
  });

  it('both classifiers fit a support set of separable classes', () => {
    const s = support();
    // 12 points in 7 dimensions are linearly separable; the default fit must get there.
    expect(predict(logisticRegression(s, 3, { ...DEFAULT_LOGISTIC_REGRESSION, steps: 2000 }), s.rows, s.count)).toEqual(s.labels);
    const prototypes = prototypeClassifier(s, 3);
    for (let c = 0; c < 3; c++) expect(Math.hypot(...prototypes.weights.subarray(c * 7, (c + 1) * 7))).toBeCloseTo(1, 12);
    // Each prototype is its class's direction: the mean of its rows classifies as that class.
    const means = new Float64Array(3 * 7);
    for (let i = 0; i < s.count; i++) for (let d = 0; d < 7; d++) means[s.labels[i] * 7 + d] += s.rows[i * 7 + d] / 4;
    expect(predict(prototypes, means, 3)).toEqual(Uint8Array.from([0, 1, 2]));
  });
});
