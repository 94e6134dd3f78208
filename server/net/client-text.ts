/**
 * Text a client sends (its hello: hostname, backend, the reason for that backend, device;
 * the message of a task it failed or refused) is logged, recorded in the journal and
 * results.json, and rendered into report.md, though the client may have done no work at
 * all. It is made plain where it enters and where it is recorded: control characters, line
 * breaks and invisible or direction-changing characters become one space, and its length
 * is bounded. report.md escapes it besides (server/report/markdown.ts), since plain text can
 * still hold Markdown and HTML.
 */
import type { HelloPayload } from '../../shared/protocol.js';

/** C0 and C1 controls (line breaks, tabs, escapes), soft hyphen, zero-width and bidirectional marks, line and paragraph separators, BOM. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+/g;

/** Longest message of a client (a failed task's) kept in an error. */
export const MAX_CLIENT_MESSAGE_LENGTH = 2000;

/** Longest error recorded for an arm or a retry (it may quote a few client messages). */
export const MAX_RECORDED_ERROR_LENGTH = 8000;

/** `text` on one line without unprintable characters, cut to `maxLength` characters (ending in "…" when cut). */
export function plainText(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  const flat = text.replace(UNPRINTABLE, ' ');
  if (flat.length <= maxLength) return flat;
  let cut = flat.slice(0, Math.max(0, maxLength - 1));
  // Never keep half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** The text fields a client describes itself with, and their bounds (as the hello schema's). */
const HELLO_TEXT_BOUNDS = { hostname: 255, backend: 200, backendReason: 2000, device: 200 } as const;

type HelloText = Partial<Pick<HelloPayload, keyof typeof HELLO_TEXT_BOUNDS>>;

/** `fields` with every client-described text field made plain (absent ones stay absent). */
export function plainClientFields<T extends HelloText>(fields: T): T {
  const plain = { ...fields };
  for (const [key, max] of Object.entries(HELLO_TEXT_BOUNDS) as Array<[keyof HelloText, number]>) {
    const value = plain[key];
    if (typeof value === 'string') (plain as HelloText)[key] = plainText(value, max);
  }
  return plain;
}
