import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePlots } from '../../../server/report/plots/write-plots.js';
import { useTempDir } from '../../support/temp-dir.js';

describe('writePlots', () => {
  const tempDir = useTempDir('streamssl-plots-');

  it('writes each SVG under plots/ and returns the links in input order', async () => {
    const runDir = tempDir();
    const links = await writePlots(runDir, [
      { file: 'accuracy-relay.svg', svg: '<svg>a</svg>' },
      { file: 'cka_joint.svg', svg: '<svg>b</svg>' },
    ]);
    expect(links).toEqual(['plots/accuracy-relay.svg', 'plots/cka_joint.svg']);
    expect(await readFile(join(runDir, 'plots', 'cka_joint.svg'), 'utf8')).toBe('<svg>b</svg>');
  });

  it.each([
    ['../x.svg', /path separator/],
    ['..\\x.svg', /path separator/],
    ['sub/x.svg', /path separator/],
    ['..svg', /contains "\.\."/],
    ['.hidden.svg', /letters, digits/],
    ['x.png', /ending in "\.svg"/],
    ['a b.svg', /letters, digits/],
  ])('refuses the file name %s and writes nothing', async (file, reason) => {
    const runDir = tempDir();
    await expect(writePlots(runDir, [{ file: 'fine.svg', svg: '<svg/>' }, { file, svg: '<svg/>' }])).rejects.toThrow(reason);
    expect(await readdir(runDir)).toEqual([]);
  });

  it('refuses the same file name twice', async () => {
    await expect(
      writePlots(tempDir(), [
        { file: 'a.svg', svg: '<svg/>' },
        { file: 'a.svg', svg: '<svg/>' },
      ]),
    ).rejects.toThrow(/"a.svg" is given twice/);
  });
});
