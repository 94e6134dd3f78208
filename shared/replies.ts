/**
 * How every request of the protocol fails or succeeds: the error codes, the `Failure`
 * shape of acknowledgements and results, and their schemas. The protocol (protocol.ts)
 * and the blob transfers (blob-http.ts) both answer in these terms.
 */
import { z } from 'zod';

export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'locked_out',
  'version_mismatch',
  'not_ready',
  'unknown_event',
  'unknown_blob',
  'out_of_order',
  'too_large',
  'incomplete',
  'hash_mismatch',
  'busy',
  'unknown_task',
  'task_failed',
  'timeout',
  'disconnected',
  'internal',
] as const;

/** Why a request failed. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The failure shape of every acknowledgement and result. */
export interface Failure {
  ok: false;
  code: ErrorCode;
  message: string;
}

/** A plain acknowledgement: done, or why not. */
export type Reply = { ok: true } | Failure;

/** Builds a `Failure`. */
export function failure(code: ErrorCode, message: string): Failure {
  return { ok: false, code, message };
}

/** An id that is safe in logs and file names. */
export const idSchema = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.:@-]+$/, 'use letters, digits and _ . : @ -');

export const failureSchema = z.strictObject({ ok: z.literal(false), code: z.enum(ERROR_CODES), message: z.string() });
export const replySchema = z.union([z.strictObject({ ok: z.literal(true) }), failureSchema]);

/** One line naming every problem zod found, paths first. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
