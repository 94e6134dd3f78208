import { describe, expect, it } from 'vitest';
import { canonicalizeSvgIds } from '../../../server/report/plots/svg-ids.js';

describe('canonicalizeSvgIds', () => {
  it('numbers ids by first appearance whatever counter Vega used, and rewrites their references', () => {
    const svg =
      '<path fill="url(#gradient_6)" clip-path="url(#clip12)"/><defs><linearGradient id="gradient_6"/><clipPath id="clip12"/></defs>';
    expect(canonicalizeSvgIds(svg)).toBe(
      '<path fill="url(#gradient_0)" clip-path="url(#clip_1)"/><defs><linearGradient id="gradient_0"/><clipPath id="clip_1"/></defs>',
    );
  });

  it('matches ids whole, swaps without renaming twice, and leaves text alone', () => {
    const svg = '<g id="clip1"/><g id="clip10"/><use href="#clip10"/><text>url(#x) #clip1</text>';
    expect(canonicalizeSvgIds(svg)).toBe('<g id="clip_0"/><g id="clip_1"/><use href="#clip_1"/><text>url(#x) #clip1</text>');
    const swapped = '<g id="p_1"/><g id="p_0"/><a href="#p_0"/>';
    expect(canonicalizeSvgIds(swapped)).toBe('<g id="p_0"/><g id="p_1"/><a href="#p_1"/>');
  });
});
