/**
 * The SSL options every method takes: ghost batch-norm groups and the augmentation of the
 * two views. Each method's schema (beside this file) spreads `sslCommonShape` into its own.
 */
import { z } from 'zod';
import { positiveInt } from '../schema-primitives.js';

const fraction = z.number().gt(0).lte(1);

export const sslCommonShape = {
  /**
   * Ghost batch-norm groups of every training forward pass; MoCo's key batch and
   * SimCLR's second view are shuffled before grouping (shuffle-BN on one device).
   */
  bnGroups: positiveInt.default(4),
  augment: z
    .strictObject({
      cropScale: z.tuple([fraction, fraction]).default([0.2, 1]),
      flip: z.boolean().default(true),
      jitter: z.number().min(0).max(1).default(0.4),
      jitterProbability: z.number().min(0).max(1).default(0.8),
      blurProbability: z.number().min(0).max(1).default(0.5),
    })
    .default({ cropScale: [0.2, 1], flip: true, jitter: 0.4, jitterProbability: 0.8, blurProbability: 0.5 }),
};

/** Softmax temperature of a contrastive loss (moco-v2, simclr). */
export const temperature = z.number().gt(0).lte(10).default(0.2);
/** EMA coefficient of a momentum network (moco-v2's key encoder, byol's target). */
export const momentum = z.number().gt(0).lt(1).default(0.99);
/** Hidden width of a predictor MLP (byol, simsiam). */
export const predictorHidden = positiveInt.default(512);

const commonSchema = z.strictObject(sslCommonShape);

/** What the trainer reads of any method's options: its name and the common part. */
export type SslCommonOptions = z.output<typeof commonSchema> & { method: string };
