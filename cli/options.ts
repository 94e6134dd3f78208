/** Parsers of command-line option values shared by the `streamssl` commands. */
import { InvalidArgumentError } from 'commander';

/** Accumulates a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** An integer of at least `min` (surrounding blanks allowed; a blank value is refused, not read as 0). The one integer parser of every command, the bench's included. */
export function intAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got "${value}"`);
    return n;
  };
}

/** A positive integer. */
export const positiveInt = intAtLeast(1);

/** A TCP port, 0 (any free one) included. */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
}
