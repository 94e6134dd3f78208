/**
 * The scenario's `analysis` field: which analyses `streamssl analyze` (or a run, with
 * `atEnd`) computes on the saved models, and their settings.
 */
import { z } from 'zod';
import { datasetSchema } from './dataset-schema.js';
import { positiveInt } from './schema-primitives.js';

const fewShotSchema = z.strictObject({
  /** Classes per episode. */
  ways: z.number().int().min(2).default(5),
  /** Support images per class; one result per entry. */
  shots: z.array(positiveInt).min(1).default([1, 5]),
  /** Query images per class and episode. */
  queries: positiveInt.default(15),
  episodes: positiveInt.default(600),
  /** prototype: nearest class mean (cosine); linear: logistic regression on the support set. */
  classifier: z.enum(['prototype', 'linear']).default('prototype'),
});

const sharpnessSchema = z.strictObject({
  /** Training images (of all chunks, in their styles) the loss is measured on. */
  samples: positiveInt.default(512),
  /** Radii of the filter-normalized random perturbations (1 = each filter's own norm). */
  radii: z.array(z.number().gt(0)).min(1).default([0.05, 0.1, 0.2, 0.4]),
  /** Random directions drawn per radius. */
  draws: positiveInt.default(4),
  /** Points of each 1-D loss curve (random direction and interpolation). */
  curvePoints: z.number().int().min(3).max(201).default(21),
  /** The random-direction curve spans [-extent, extent]. */
  extent: z.number().gt(0).default(1),
});

/** A labeled dataset the final models are also scored on (linear probe and kNN). */
const transferSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "-", "_" or "."'),
  dataset: datasetSchema,
});

export const ANALYSIS_NAMES = ['cka', 'sharpness', 'few-shot', 'transfer'] as const;

/** Analyses of the saved models: at the end of a run, or later with `streamssl analyze`. */
export const analysisSchema = z
  .strictObject({
    /** Run the analyses as soon as the run has written results.json. */
    atEnd: z.boolean().default(false),
    /** Which analyses `analyze` runs. */
    run: z.array(z.enum(ANALYSIS_NAMES)).default([...ANALYSIS_NAMES]),
    /** Test images whose representations CKA compares. */
    probeSamples: z.number().int().min(10).default(1000),
    /** RBF CKA bandwidth as a fraction of the median pairwise distance. */
    rbfBandwidth: z.number().gt(0).default(1),
    sharpness: sharpnessSchema.default(sharpnessSchema.parse({})),
    fewShot: fewShotSchema.default(fewShotSchema.parse({})),
    transfer: z.array(transferSchema).default([{ name: 'mnist', dataset: { name: 'mnist' } }]),
  })
  .superRefine((a, ctx) => {
    const names = new Set<string>();
    a.transfer.forEach((t, i) => {
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['transfer', i, 'name'], message: `duplicate transfer name "${t.name}"` });
      names.add(t.name);
    });
  });

export type AnalysisName = (typeof ANALYSIS_NAMES)[number];
