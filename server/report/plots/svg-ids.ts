/**
 * Vega numbers the gradient and clip-path ids of an SVG from counters that live for the
 * whole process, so the second render of the same chart says `gradient_6` where the
 * first said `gradient_0`. Renumbering them by order of appearance makes the output a
 * function of the chart alone, which is what lets a report be diffed and a test compare bytes.
 */

const ID_ATTRIBUTE = /\bid="([^"]+)"/g;

/** Renames every `id` in `svg` to `<kind>_<n>` in order of appearance and rewrites its `#` references. */
export function canonicalizeSvgIds(svg: string): string {
  const renamed = new Map<string, string>();
  for (const [, id] of svg.matchAll(ID_ATTRIBUTE)) {
    if (renamed.has(id)) continue;
    const kind = id.replace(/_?\d+$/, '') || 'id';
    renamed.set(id, `${kind}_${renamed.size}`);
  }
  return renameIds(svg, renamed);
}

/** Puts `prefix` before every `id` of `svg` and its `#` references, so that several SVGs can share one HTML document. */
export function prefixSvgIds(svg: string, prefix: string): string {
  return renameIds(svg, new Map([...svg.matchAll(ID_ATTRIBUTE)].map(([, id]) => [id, `${prefix}${id}`])));
}

function renameIds(svg: string, renamed: ReadonlyMap<string, string>): string {
  if (renamed.size === 0) return svg;
  // Ids are matched whole (`#clip1` must not rewrite `#clip10`), in one pass so a new name is never renamed again.
  const reference = /(\bid="|url\(#|href="#)([^")]+)/g;
  return svg.replace(reference, (whole, lead: string, id: string) => {
    const next = renamed.get(id);
    return next === undefined ? whole : `${lead}${next}`;
  });
}
