/** Number schemas the scenario's parts share. */
import { z } from 'zod';

export const positiveInt = z.number().int().positive();
