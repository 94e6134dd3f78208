/** Barlow Twins' options (client/ssl/barlow-twins.ts). */
import { z } from 'zod';
import { sslCommonShape } from './common.js';

export const barlowTwinsOptions = z.strictObject({
  method: z.literal('barlow-twins'),
  /**
   * Weight of the off-diagonal term. The paper's 0.0051 was tuned for an 8192-wide
   * embedding and is kept for smaller ones (solo-learn keeps it at 2048): the
   * off-diagonal term has D(D-1) entries against D on the diagonal, so at D = 128 it
   * weighs about 64 times less relative to the invariance term; raise lambda towards
   * 1/D-ish values if the features collapse onto few directions.
   */
  lambda: z.number().gt(0).lte(10).default(0.0051),
  ...sslCommonShape,
});
