/** Number schemas the scenario's parts share. */
import { z } from 'zod';

export const positiveInt = z.number().int().positive();

/** True when A and B are the same type: compile-time guards that a schema matches its interface. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
