import { describe, expect, it } from 'vitest';
import { ProgressThrottle } from '../../shared/progress-throttle.js';

describe('ProgressThrottle', () => {
  it('lets through the first step of each key, then one per interval, and always the last step', () => {
    let now = 0;
    const throttle = new ProgressThrottle(1000, () => now);
    const passed = (key: string, step: number, steps = 10) => throttle.passes(key, step, steps);
    expect(passed('a', 1)).toBe(true);
    now = 999;
    expect(passed('a', 2)).toBe(false);
    expect(passed('b', 1)).toBe(true); // keys are throttled apart
    now = 1000;
    expect(passed('a', 3)).toBe(true);
    expect(passed('a', 4)).toBe(false);
    expect(passed('a', 10)).toBe(true);
    // The last step forgets the key: a task run again reports its first step at once.
    expect(passed('a', 1)).toBe(true);
  });
});
