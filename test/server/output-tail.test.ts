import { describe, expect, it } from 'vitest';
import { OutputTail } from '../../server/clients/output-tail.js';

describe('OutputTail', () => {
  it('keeps the last lines, however the output is cut into chunks, and passes each on', () => {
    const seen: string[] = [];
    const tail = new OutputTail((line) => seen.push(line));
    tail.add('one\ntw');
    tail.add('o\n\nthree');
    expect(tail.text()).toBe('  one\n  two\n  three');
    expect(seen).toEqual(['one', 'two']);
  });

  it('stays small whatever a process writes', () => {
    const tail = new OutputTail();
    for (let i = 0; i < 1000; i++) tail.add(`line ${i} ${'x'.repeat(5000)}\n`);
    tail.add('y'.repeat(100_000));
    const lines = tail.text().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatch(/^ {2}line 981 x+\.\.\.$/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(505);
  });
});
