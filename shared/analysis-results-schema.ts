/**
 * The schema of `AnalysisResults` (analysis.ts): the coordinator checks the results an
 * analysis process sends back before it writes them into results.json, as it checks
 * every other answer a client gives. Sizes are bounded so that a process gone wrong
 * cannot make the coordinator hold (or write) arbitrarily much.
 */
import { z } from 'zod';
import { ANALYSIS_NAMES, analysisSchema } from './analysis-schema.js';
import type { AnalysisResults } from './analysis.js';
import type { Same } from './schema-primitives.js';

/** Longest name or reason accepted (model and dataset names, error messages). */
const MAX_TEXT = 10_000;
/** Most entries of any one list (models, layers, points, scores). */
const MAX_ITEMS = 100_000;

const text = z.string().max(MAX_TEXT);
const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_ITEMS);
/** A measured value: a diverged model gives NaN or infinite losses, which are results too. */
const measure = z.custom<number>((v) => typeof v === 'number', 'expected a number');
const count = z.number().int().min(0);
const matrices = list(list(list(measure)));

const armCkaSchema = z.strictObject({ arm: text, models: list(text), layers: list(text), linear: matrices, rbf: matrices });
const ckaResultsSchema = z.strictObject({ probeSamples: count, rbfBandwidth: measure, arms: list(armCkaSchema) });

const curvePointSchema = z.strictObject({ alpha: measure, loss: measure });
const perturbationPointSchema = z.strictObject({ radius: measure, mean: measure, std: measure, min: measure, max: measure });
const sharpnessResultsSchema = z.strictObject({
  samples: count,
  draws: count,
  models: list(z.strictObject({ model: text, baseLoss: measure, perturbation: list(perturbationPointSchema), direction: list(curvePointSchema) })),
  interpolations: list(z.strictObject({ from: text, to: text, points: list(curvePointSchema) })),
});

const fewShotScoreSchema = z.strictObject({
  dataset: text,
  model: text,
  ways: count,
  shots: count,
  queries: count,
  episodes: count,
  classifier: z.enum(['prototype', 'linear']),
  mean: measure,
  ci95: measure,
});
const transferScoreSchema = z.strictObject({ dataset: text, model: text, knnTop1: measure, linearTop1: measure });

/** `AnalysisResults`, as an analysis process may send it. */
export const analysisResultsSchema = z.strictObject({
  analyzedAt: text,
  seconds: z.number().min(0),
  backend: text,
  spec: analysisSchema,
  cka: ckaResultsSchema.optional(),
  sharpness: sharpnessResultsSchema.optional(),
  fewShot: list(fewShotScoreSchema).optional(),
  transfer: list(transferScoreSchema).optional(),
  errors: z.partialRecord(z.enum(ANALYSIS_NAMES), text).optional(),
});

// Compile-time guard: the schema and the interface may not drift apart.
const schemaMatchesType: Same<z.output<typeof analysisResultsSchema>, AnalysisResults> = true;
void schemaMatchesType;
