/** Schemas the scenario's parts share. */
import { z } from 'zod';

export const positiveInt = z.number().int().positive();

/** Longest name that becomes a file or folder name (a run folder adds a timestamp to it). */
export const MAX_FILE_NAME_LENGTH = 100;

const FILE_NAME_CHARACTERS = /^[A-Za-z0-9_.-]+$/;

/**
 * Why `name` cannot be used as one file or folder name, or null when it can: letters,
 * digits, "-", "_" and ".", at most MAX_FILE_NAME_LENGTH characters, not "." or "..". Names
 * of the scenario (its run folder) and of its arms (their checkpoint folders) become paths,
 * so a name like "../../x" would write outside the output folder.
 */
export function fileNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_FILE_NAME_LENGTH) return `must be at most ${MAX_FILE_NAME_LENGTH} characters (it becomes a file name)`;
  if (!FILE_NAME_CHARACTERS.test(name)) return 'use letters, digits, "-", "_" or "." (it becomes a file name)';
  if (name === '.' || name === '..') return `"${name}" is not a file name`;
  return null;
}

/** A string that is used as one file or folder name (see `fileNameProblem`). */
export const safeFileName = z.string().superRefine((name, ctx) => {
  const problem = fileNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** True when A and B are the same type: compile-time guards that a schema matches its interface. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
