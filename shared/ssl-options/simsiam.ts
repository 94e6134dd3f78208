/** SimSiam's options (client/ssl/simsiam.ts). */
import { z } from 'zod';
import { predictorHidden, sslCommonShape } from './common.js';

export const simsiamOptions = z.strictObject({ method: z.literal('simsiam'), predictorHidden, ...sslCommonShape });
