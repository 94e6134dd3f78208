/** MoCo v2's options (client/ssl/moco-v2.ts). */
import { z } from 'zod';
import { positiveInt } from '../schema-primitives.js';
import { momentum, sslCommonShape, temperature } from './common.js';

export const mocoV2Options = z.strictObject({
  method: z.literal('moco-v2'),
  temperature,
  /** Keys kept as negatives. */
  queueSize: positiveInt.default(4096),
  momentum,
  ...sslCommonShape,
});
