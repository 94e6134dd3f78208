/**
 * Statistics over seeds: mean, sample standard deviation, and Student-t confidence
 * intervals (n - 1 degrees of freedom), of single values and of paired differences. Pure
 * functions; the t quantile comes from the regularized incomplete beta function (Numerical
 * Recipes' continued fraction) inverted by bisection, exact to far below a reported digit.
 */

/** Mean, spread and confidence interval of a sample. */
export interface SampleSummary {
  /** Values it summarizes (one per seed), in seed order. */
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); null for a single value. */
  sd: number | null;
  /** Confidence level of the interval, e.g. 0.95. */
  confidence: number;
  /** Half-width of the interval (t * sd / sqrt(n)); null for a single value. */
  halfWidth: number | null;
  /** [mean - halfWidth, mean + halfWidth]; null for a single value. */
  interval: [number, number] | null;
  values: number[];
}

/** A summary of paired differences, with whether its interval excludes 0. */
export interface DifferenceSummary extends SampleSummary {
  /** The interval excludes 0 (false when there is no interval: one pair). */
  significant: boolean;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('mean of no values');
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** Sample standard deviation (Bessel's n - 1); needs at least two values. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) throw new Error(`standard deviation needs at least 2 values, got ${values.length}`);
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The `p` quantile of Student's t with `df` > 0 degrees of freedom, e.g. tQuantile(0.975, 1) = 12.706. */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`t quantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`t quantile: degrees of freedom must be positive, got ${df}`);
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean, sd and the two-sided `confidence` Student-t interval of `values` (one or more finite numbers). */
export function summarize(values: readonly number[], confidence = 0.95): SampleSummary {
  if (values.length === 0) throw new Error('summary of no values');
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`summary: values must be finite numbers, got ${bad}`);
  const m = mean(values);
  if (values.length < 2) return { n: values.length, mean: m, sd: null, confidence, halfWidth: null, interval: null, values: [...values] };
  const sd = sampleSd(values);
  const halfWidth = (tQuantile(1 - (1 - confidence) / 2, values.length - 1) * sd) / Math.sqrt(values.length);
  return { n: values.length, mean: m, sd, confidence, halfWidth, interval: [m - halfWidth, m + halfWidth], values: [...values] };
}

/**
 * The paired differences `a[i] - b[i]` summarized (the comparison of two arms on the same
 * seeds, whose shared noise cancels); significant when the interval excludes 0.
 */
export function pairedDifference(a: readonly number[], b: readonly number[], confidence = 0.95): DifferenceSummary {
  if (a.length !== b.length) throw new Error(`paired difference: ${a.length} values against ${b.length}`);
  const s = summarize(
    a.map((x, i) => x - b[i]),
    confidence,
  );
  return { ...s, significant: s.interval !== null && (s.interval[0] > 0 || s.interval[1] < 0) };
}
