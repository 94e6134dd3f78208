/**
 * The bench's PyTorch probe (bench/torch-reference.ts): an interpreter that is
 * missing or cannot import torch gives a reason that names it, never a throw.
 */
import { describe, expect, it } from 'vitest';
import { probeTorch } from '../../bench/torch-reference.js';

describe('probeTorch', () => {
  it('names a missing interpreter', () => {
    expect(probeTorch('/nonexistent/python3')).toEqual({ python: null, reason: '/nonexistent/python3 not found' });
  });

  it('names an interpreter that cannot import torch', () => {
    const probe = probeTorch('/bin/false');
    expect(probe.python).toBeNull();
    expect(probe).toMatchObject({ reason: expect.stringMatching(/^\/bin\/false cannot import torch/) });
  });
});
