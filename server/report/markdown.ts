/** Markdown table cells, inert text and number formats shared by the report's parts. */
import { plainText } from '../net/client-text.js';

/** Characters that open emphasis, code, links, strike-through, math or a table cell. */
const MARKDOWN_PUNCTUATION = /[\\`*_[\]|~$]/g;
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * `text` as inert Markdown inside a line: on one line (so it cannot start a heading, a list
 * or a table row), HTML's `& < >` as entities (no tag, comment or autolink) and the
 * characters that open emphasis, code, links or table cells escaped. For every text the
 * report did not write itself (a client's hostname, backend and messages, names from the
 * scenario); the report's own markup never goes through it.
 */
export function markdownText(text: string): string {
  return plainText(text)
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c])
    .replace(MARKDOWN_PUNCTUATION, (c) => `\\${c}`);
}

/** A table row; every cell is text (made inert with `markdownText`), never markup. */
export function row(cells: string[]): string {
  return `| ${cells.map(markdownText).join(' | ')} |`;
}

/** A fraction as a percent with one decimal. */
export function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A difference of fractions in signed percentage points. */
export function points(delta: number): string {
  const value = (delta * 100).toFixed(1);
  return `${delta > 0 ? '+' : ''}${value} pt`;
}

export function num(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'NaN';
}
