import { describe, expect, it } from 'vitest';
import { clientThreads } from '../../server/run/client-setup.js';

describe('threads per spawned client', () => {
  it('shares the cores among the arms that run at once', () => {
    expect(clientThreads({ clients: 4, arms: 2, parallelArms: true }, 2)).toBe(1);
    expect(clientThreads({ clients: 4, arms: 2, parallelArms: true }, 8)).toBe(4);
    expect(clientThreads({ clients: 1, arms: 3, parallelArms: true }, 8)).toBe(8);
  });

  it('gives every core to the one client at work when arms run one after another', () => {
    expect(clientThreads({ clients: 4, arms: 3, parallelArms: false }, 2)).toBe(2);
  });

  it('never goes below one thread', () => {
    expect(clientThreads({ clients: 16, arms: 16, parallelArms: true }, 2)).toBe(1);
  });
});
