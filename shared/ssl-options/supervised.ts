/** The supervised baseline's options (client/ssl/supervised.ts): only the common ones. */
import { z } from 'zod';
import { sslCommonShape } from './common.js';

export const supervisedOptions = z.strictObject({ method: z.literal('supervised'), ...sslCommonShape });
