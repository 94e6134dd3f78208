/**
 * The last lines a child process wrote, kept to say why it died. Bounded: a process that
 * writes without end costs a few kilobytes here.
 */

/** Lines kept. */
const MAX_LINES = 20;
/** Characters kept of one line (and of a line still being written). */
const MAX_LINE = 500;

export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  /** `onLine` sees every complete line (shortened), e.g. to log it. */
  constructor(private readonly onLine: (line: string) => void = () => {}) {}

  /** Takes the next bytes of the output. */
  add(data: Buffer | string): void {
    const parts = (this.partial + String(data)).split('\n');
    this.partial = cut(parts.pop() ?? '');
    for (const line of parts) this.keep(line);
  }

  /** The kept lines, each indented, or '' when there was no output. */
  text(): string {
    const lines = this.partial.trim() ? [...this.lines, this.partial] : this.lines;
    return lines
      .slice(-MAX_LINES)
      .map((line) => `  ${line}`)
      .join('\n');
  }

  private keep(line: string): void {
    if (line.trim() === '') return;
    const kept = cut(line.trimEnd());
    this.onLine(kept);
    this.lines.push(kept);
    if (this.lines.length > MAX_LINES) this.lines.shift();
  }
}

function cut(line: string): string {
  return line.length <= MAX_LINE ? line : `${line.slice(0, MAX_LINE)}...`;
}
