/**
 * The report's Markdown as HTML, for report.html: the subset the report writes itself
 * (headings, pipe tables with their alignment, paragraphs, `**strong**`, `*em*`, `code`,
 * images on a line of their own) and nothing else; text the report took from elsewhere
 * went through `markdownText` (entities for `& < >`, backslashes before punctuation), so
 * it is undone here into HTML-escaped text: no tag in the output comes from the text.
 * An image whose file the caller knows (a figure rendered as SVG) is inlined; any other
 * stays its title.
 */

/** Inline SVG of `src` (e.g. `plots/accuracy-relay.svg`), or null when there is none. */
export type FigureSource = (src: string) => string | null;

/** `markdown` (as the report writes it) as an HTML fragment. */
export function markdownToHtml(markdown: string, figure: FigureSource = () => null): string {
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i++;
      continue;
    }
    const image = /^!\[(.*)\]\(([^()\s]+)\)$/.exec(line.trim());
    if (image) {
      const svg = figure(image[2]);
      out.push(svg === null ? `<p class="missing-figure">${inline(image[1])}</p>` : `<figure>${svg}<figcaption>${inline(image[1])}</figcaption></figure>`);
      i++;
      continue;
    }
    if (line.startsWith('|')) {
      const block: string[] = [];
      while (i < lines.length && lines[i].startsWith('|')) block.push(lines[i++]);
      out.push(table(block));
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && !/^(#{1,6} |\||!\[)/.test(lines[i])) paragraph.push(lines[i++]);
    out.push(`<p>${inline(paragraph.join(' '))}</p>`);
  }
  return out.join('\n');
}

/** The cells of a table row (`| a | b \| c |`: an escaped bar stays in its cell). */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  const found: string[] = [];
  let cell = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '\\' && i + 1 < inner.length) {
      cell += inner[i] + inner[++i];
    } else if (inner[i] === '|') {
      found.push(cell.trim());
      cell = '';
    } else {
      cell += inner[i];
    }
  }
  found.push(cell.trim());
  return found;
}

function table(block: string[]): string {
  const [head, rule, ...body] = block;
  const isRule = rule !== undefined && cells(rule).every((c) => /^:?-{3,}:?$/.test(c));
  const align = isRule ? cells(rule).map((c) => (c.endsWith(':') ? (c.startsWith(':') ? 'center' : 'right') : 'left')) : [];
  const rows = isRule ? body : block.slice(1);
  const td = (tag: string, c: string, i: number) => `<${tag}${align[i] && align[i] !== 'left' ? ` style="text-align:${align[i]}"` : ''}>${inline(c)}</${tag}>`;
  const header = `<thead><tr>${cells(head).map((c, i) => td('th', c, i)).join('')}</tr></thead>`;
  return `<table>${header}<tbody>${rows.map((r) => `<tr>${cells(r).map((c, i) => td('td', c, i)).join('')}</tr>`).join('')}</tbody></table>`;
}

const ESCAPE_BASE = 0xe000;

/** One line of text: escapes kept literal, then code, strong and em; everything else HTML-escaped. */
export function inline(text: string): string {
  const escaped: string[] = [];
  // Backslash escapes become private-use placeholders, so no markup rule sees them.
  // A private-use character of the text itself would pass for a placeholder.
  let s = text.replace(/[\ue000-\uf8ff]/g, '\ufffd').replace(/\\([\\`*_[\]|~$#!(){}<>.+-])/g, (_, c: string) => String.fromCharCode(ESCAPE_BASE + escaped.push(c) - 1));
  s = escapeHtml(s);
  s = s.replace(/`([^`]+)`/g, '<code>$1</code>');
  s = s.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  s = s.replace(/(^|[^*])\*([^*\s][^*]*?)\*(?!\*)/g, '$1<em>$2</em>');
  return s.replace(/[\ue000-\uf8ff]/g, (c) => escapeHtml(escaped[c.charCodeAt(0) - ESCAPE_BASE] ?? ''));
}

/** `& < > "` as entities; an entity already written (`&amp;`, `&#8594;`) is kept. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&(?!(?:amp|lt|gt|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
