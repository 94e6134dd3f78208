import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectEnv, parseCount, parseNonNegative, parseThreadList } from '../../bench/options.js';
import { intAtLeast, port } from '../../cli/options.js';

describe('command-line integer options', () => {
  it('reads integers of at least the minimum, blanks around them allowed', () => {
    expect(intAtLeast(2)(' 7 ')).toBe(7);
    expect(intAtLeast(0)('0')).toBe(0);
    expect(parseCount('3')).toBe(3);
    expect(parseNonNegative('0')).toBe(0);
    expect(parseThreadList('1, 2,2')).toEqual([1, 2]);
  });

  it('refuses the rest in the same words, for the run commands and the bench alike', () => {
    const cases: [(v: string) => unknown, string, string][] = [
      [intAtLeast(2), '1', 'expected an integer >= 2, got "1"'],
      [intAtLeast(0), '', 'expected an integer >= 0, got ""'],
      [intAtLeast(0), '  ', 'expected an integer >= 0, got "  "'],
      [intAtLeast(1), '2.5', 'expected an integer >= 1, got "2.5"'],
      [parseCount, 'two', 'expected an integer >= 1, got "two"'],
      [parseNonNegative, '-1', 'expected an integer >= 0, got "-1"'],
      [parseThreadList, '1,0', 'expected an integer >= 1, got "0"'],
    ];
    for (const [parse, value, message] of cases) {
      expect(() => parse(value), value).toThrow(InvalidArgumentError);
      expect(() => parse(value), value).toThrow(message);
    }
    expect(() => port('65536')).toThrow('expected a port number (0-65535)');
  });
});

describe('collectEnv (streamssl bench --interleave-env)', () => {
  it('collects repeated NAME=VALUE into one environment, the value taken whole', () => {
    const env = ['GOMP_SPINCOUNT=1000', 'OMP_PLACES={0},{1}', 'X=a=b', 'GOMP_SPINCOUNT=5', 'EMPTY='].reduce((acc, v) => collectEnv(v, acc), {} as Record<string, string>);
    expect(env).toEqual({ GOMP_SPINCOUNT: '5', OMP_PLACES: '{0},{1}', X: 'a=b', EMPTY: '' });
  });

  it('refuses what is not an assignment to a variable name, saying what it got', () => {
    for (const bad of ['NOEQUALS', '=1', '1X=2', 'A B=1', '']) {
      expect(() => collectEnv(bad, {}), bad).toThrow(InvalidArgumentError);
      expect(() => collectEnv(bad, {}), bad).toThrow(`expected NAME=VALUE with NAME a variable name, got "${bad}"`);
    }
  });
});
