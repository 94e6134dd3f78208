/** BYOL's options (client/ssl/byol.ts). */
import { z } from 'zod';
import { momentum, predictorHidden, sslCommonShape } from './common.js';

export const byolOptions = z.strictObject({ method: z.literal('byol'), momentum, predictorHidden, ...sslCommonShape });
