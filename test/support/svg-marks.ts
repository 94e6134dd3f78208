/**
 * Reads Vega's SVG output the way a test needs it: which marks a chart drew and which
 * words it printed. Vega puts each mark's items in a `<g>` whose class names the mark
 * (`<name>_marks`) or its role (`role-legend-label`), with no group nested inside.
 */

/** The inner markup of every leaf `<g>` whose class list contains `className`. */
export function markGroups(svg: string, className: string): string[] {
  const group = new RegExp(`<g class="(?:[^"]* )?${className}(?: [^"]*)?"[^>]*>(.*?)</g>`, 'gs');
  return [...svg.matchAll(group)].map((m) => m[1]);
}

/** How many `<tag` elements `markup` holds. */
export function countElements(markup: string, tag: string): number {
  return markup.split(`<${tag} `).length - 1;
}

/** The text of each `<text>` element in `markup`, in document order, with entities decoded. */
export function textsOf(markup: string): string[] {
  return [...markup.matchAll(/<text[^>]*>(.*?)<\/text>/gs)].map((m) => decodeEntities(m[1]));
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}
