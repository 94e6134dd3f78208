/**
 * Small DOM helpers of the dashboard page. Every text that came from the run (client
 * names, hosts, reasons) goes in as text, never as HTML.
 */

/** An element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | undefined> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children. */
export function svg(tag: string, attrs: Record<string, string | number | undefined> = {}, ...children: Array<Node | string>): SVGElement {
  const node = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

/** The element of id `id` (the page has them all). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** `0.734` → `73.4%`; missing → `–`. */
export function percent(x: number | undefined | null): string {
  return x === undefined || x === null ? '–' : `${(x * 100).toFixed(1)}%`;
}

/** A difference of fractions in points: `+1.2 pt`. */
export function points(d: number | undefined | null): string {
  if (d === undefined || d === null) return '–';
  const pt = d * 100;
  return `${pt >= 0 ? '+' : ''}${pt.toFixed(1)} pt`;
}

/** Bytes in B, kB, MB, GB. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Seconds as `1 h 02 min`, `3 min 04 s` or `5.2 s`. */
export function duration(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The time of day of `t` (ms since the epoch). */
export function clock(t: number): string {
  return new Date(t).toLocaleTimeString();
}
