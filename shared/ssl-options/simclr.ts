/** SimCLR's options (client/ssl/simclr.ts). */
import { z } from 'zod';
import { sslCommonShape, temperature } from './common.js';

export const simclrOptions = z.strictObject({ method: z.literal('simclr'), temperature, ...sslCommonShape });
