/**
 * Kernel profiles at several thread counts compared (bench/kernel-compare.ts): lower
 * medians over pairs, each pair's gain, kernels one profile lacks counted as 0 ms; and
 * bench/kernel-profile.ts doing it with one process per profile.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareProfiles, comparisonText, type KernelProfile } from '../../bench/kernel-compare.js';
import { tsxImportArgs } from '../../server/clients/node-process.js';

const profile = (threads: number, stepMs: number, kernels: [string, number][]): KernelProfile => ({
  label: 'small batch 64',
  threads,
  steps: 10,
  stepMs,
  kernelMs: kernels.reduce((s, [, ms]) => s + ms, 0),
  kernels: kernels.map(([name, ms]) => ({ name, native: name !== 'Exp', callsPerStep: 3, msPerStep: ms })),
});

describe('compareProfiles', () => {
  const byPair = [
    [profile(1, 140, [['Conv2D', 90], ['Exp', 2]]), profile(2, 100, [['Conv2D', 55], ['Exp', 2], ['Sum', 1]])],
    [profile(1, 150, [['Conv2D', 100], ['Exp', 2]]), profile(2, 120, [['Conv2D', 60], ['Exp', 2.2]])],
    [profile(1, 145, [['Conv2D', 95], ['Exp', 3]]), profile(2, 110, [['Conv2D', 58], ['Exp', 2]])],
  ];

  it('takes lower medians over pairs, and each pair its own gain', () => {
    const c = compareProfiles([1, 2], byPair);
    expect(c.stepMs).toEqual([145, 110]);
    expect(c.stepGains.map(([g]) => g.toFixed(3))).toEqual([(140 / 100).toFixed(3), (150 / 120).toFixed(3), (145 / 110).toFixed(3)]);
    expect(c.kernelMs).toEqual([98, 60]);
    expect(c.outsideMs).toEqual([48, 50]);
    expect(c.kernels.map((k) => [k.name, k.msPerStep])).toEqual([['Conv2D', [95, 58]], ['Exp', [2, 2]], ['Sum', [0, 0]]]);
  });

  it('refuses a pair without a profile for every thread count', () => {
    expect(() => compareProfiles([1, 2], [[byPair[0][0]]])).toThrow(/pair 0 has 1 profiles for 2 thread counts/);
    expect(() => compareProfiles([1, 2], [])).toThrow(/no profiles/);
  });

  it('prints ms a step at each count and the gain of the later ones', () => {
    const text = comparisonText(compareProfiles([1, 2], byPair));
    expect(text[0]).toMatch(/^small batch 64, threads 1 \/ 2: .*3 alternating pairs/);
    expect(text[1]).toBe("step's gain, pair by pair: 2 threads over 1: 1.40x, 1.25x, 1.32x");
    expect(text[2]).toMatch(/^step +145\.00 +110\.00 +1\.32x$/);
    expect(text.find((l) => l.startsWith('Conv2D native, 3 calls'))).toMatch(/95\.00 +58\.00 +1\.64x$/);
    expect(text.find((l) => l.startsWith('Sum'))).toMatch(/0\.00 +0\.00 +–$/);
  });
});

describe('bench/kernel-profile.ts --threads 1,2', () => {
  it('profiles each count in its own process and prints the comparison', () => {
    const out = execFileSync(process.execPath, [...tsxImportArgs(), 'bench/kernel-profile.ts', '--config', 'tiny', '--steps', '1', '--threads', '1,2', '--pairs', '1'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^tiny batch 16, threads 1 \/ 2: ms a step, lower medians of 1 alternating pair/);
    expect(lines[1]).toMatch(/^step's gain, pair by pair: 2 threads over 1: \d+\.\d\dx$/);
    // Every row: a name, one figure per thread count, the gain of the second.
    for (const l of lines.slice(2)) expect(l).toMatch(/ \d+\.\d\d +\d+\.\d\d +(\d+\.\d\dx|–)$/);
    expect(lines.some((l) => l.startsWith('Conv2D '))).toBe(true);
  });

  it('refuses a bad thread count, naming the flag', () => {
    expect(() => execFileSync(process.execPath, [...tsxImportArgs(), 'bench/kernel-profile.ts', '--config', 'tiny', '--threads', '1,x'], { stdio: 'pipe', timeout: 60_000 })).toThrow(/--threads: .*"x"/);
  });
});
