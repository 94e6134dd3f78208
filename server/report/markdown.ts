/** Markdown table cells and number formats shared by the report's parts. */

export function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
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
