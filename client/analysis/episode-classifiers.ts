/**
 * The classifiers a few-shot episode fits on its support set, over L2-normalized frozen
 * features: the nearest prototype by cosine similarity (Snell et al. 2017, "Prototypical
 * Networks for Few-shot Learning", https://arxiv.org/abs/1703.05175) and multinomial
 * logistic regression (the linear classifier of Tian et al. 2020, "Rethinking Few-Shot
 * Image Classification", https://arxiv.org/abs/2003.11539). Both score a query x as
 * W x + b, so one `predict` serves both.
 *
 * Plain TypeScript on Float64Array: an evaluation fits hundreds of tiny classifiers,
 * where tensor dispatch would cost more than the arithmetic.
 */
import { dot, innerProducts } from './inner-products.js';

/** Labeled rows, row-major [count, dim], each label a class in 0..classes-1. */
export interface LabeledRows {
  rows: Float64Array;
  labels: Uint8Array;
  count: number;
  dim: number;
}

/** Scores W x + b, one per class. */
export interface LinearClassifier {
  /** Row-major [classes, dim]. */
  weights: Float64Array;
  bias: Float64Array;
  classes: number;
  dim: number;
}

export interface LogisticRegressionOptions {
  /** Full-batch gradient steps from zero weights. */
  steps: number;
  learningRate: number;
  /** L2 penalty on the weights (not the bias): weightDecay / 2 * |W|^2. */
  weightDecay: number;
}

/**
 * On unit-norm features, with the bias as a constant input of 1, the mean cross-entropy's
 * gradient is at most 1-Lipschitz (softmax curvature at most 1/2 times |[x, 1]|^2 = 2), so
 * a rate of 1 is stable.
 */
export const DEFAULT_LOGISTIC_REGRESSION: LogisticRegressionOptions = { steps: 100, learningRate: 1, weightDecay: 1e-3 };

/** The class means of the support set, each scaled to unit length: W x ranks the classes by cosine similarity. */
export function prototypeClassifier(support: LabeledRows, classes: number): LinearClassifier {
  const { rows, labels, count, dim } = support;
  const weights = new Float64Array(classes * dim);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dim; d++) weights[labels[i] * dim + d] += rows[i * dim + d];
  }
  for (let c = 0; c < classes; c++) {
    const norm = Math.sqrt(dot(weights, c * dim, weights, c * dim, dim));
    if (norm > 0) for (let d = 0; d < dim; d++) weights[c * dim + d] /= norm;
  }
  return { weights, bias: new Float64Array(classes), classes, dim };
}

/**
 * Softmax regression fitted by full-batch gradient descent on the mean cross-entropy.
 * Started from zero, with an L2 penalty, the weights stay a combination of the support
 * rows, W = A X: descending on A [classes, count] through the support Gram matrix gives
 * the same iterates at count^2 instead of count x dim per class and step, which for a few
 * dozen support rows of 512 features is what makes hundreds of episodes cheap.
 */
export function logisticRegression(support: LabeledRows, classes: number, o: LogisticRegressionOptions = DEFAULT_LOGISTIC_REGRESSION): LinearClassifier {
  const { rows, labels, count: n, dim } = support;
  const gram = innerProducts(rows, n, dim);
  const a = new Float64Array(classes * n);
  const bias = new Float64Array(classes);
  const residual = new Float64Array(classes * n);
  const logits = new Float64Array(classes);
  for (let step = 0; step < o.steps; step++) {
    for (let i = 0; i < n; i++) {
      // Logits of row i: (A X) x_i + b = A G[:, i] + b, and G is symmetric.
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        logits[c] = dot(a, c * n, gram, i * n, n) + bias[c];
        max = Math.max(max, logits[c]);
      }
      let total = 0;
      for (let c = 0; c < classes; c++) {
        logits[c] = Math.exp(logits[c] - max);
        total += logits[c];
      }
      for (let c = 0; c < classes; c++) residual[c * n + i] = (logits[c] / total - (labels[i] === c ? 1 : 0)) / n;
    }
    for (let c = 0; c < classes; c++) {
      let biasGradient = 0;
      for (let i = 0; i < n; i++) {
        a[c * n + i] -= o.learningRate * (residual[c * n + i] + o.weightDecay * a[c * n + i]);
        biasGradient += residual[c * n + i];
      }
      bias[c] -= o.learningRate * biasGradient;
    }
  }
  const weights = new Float64Array(classes * dim);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < n; i++) {
      const coefficient = a[c * n + i];
      for (let d = 0; d < dim; d++) weights[c * dim + d] += coefficient * rows[i * dim + d];
    }
  }
  return { weights, bias, classes, dim };
}

/** The highest-scoring class of each of the `count` rows (the first of equal scores). */
export function predict(model: LinearClassifier, rows: Float64Array, count: number): Uint8Array {
  const { weights, bias, classes, dim } = model;
  const predicted = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      const score = dot(weights, c * dim, rows, i * dim, dim) + bias[c];
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    predicted[i] = best;
  }
  return predicted;
}
