import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSuiteReportHtml } from '../../server/report/html/report-html.js';
import { useTempDir } from '../support/temp-dir.js';

const svg = (label: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><clipPath id="clip1"><rect width="5" height="5"/></clipPath></defs><text clip-path="url(#clip1)">${label}</text></svg>`;

async function scenarioFolder(out: string, name: string): Promise<void> {
  await mkdir(join(out, name, 'plots'), { recursive: true });
  await writeFile(join(out, name, 'report.md'), `# ${name}\n\n## Final comparison\n\n| arm | kNN |\n| --- | --- |\n| relay | 71.0% |\n\n![accuracy](plots/accuracy.svg)\n`);
  await writeFile(join(out, name, 'plots', 'accuracy.svg'), svg(`figure of ${name}`));
}

describe("the suite's report.html", () => {
  const tempDir = useTempDir('streamssl-suite-html-');

  it('holds the suite table and every scenario, its figures inlined with ids of their own, and nothing from outside', async () => {
    const out = tempDir();
    await scenarioFolder(out, 'instance');
    await scenarioFolder(out, 'class-incremental');
    const path = await writeSuiteReportHtml(out, '| scenario | relay kNN |\n| --- | --- |\n| instance | 71.0% |\n| class-incremental | 65.5% |\n', ['instance', 'class-incremental', 'never-ran']);
    expect(path).toBe(join(out, 'report.html'));
    const html = await readFile(path, 'utf8');
    expect(html).toContain('<td>class-incremental</td>');
    expect(html).toContain('figure of instance');
    expect(html).toContain('figure of class-incremental');
    // The two figures' ids cannot collide once on one page.
    const ids = [...html.matchAll(/<clipPath id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    // Self-contained: no script, no link or source out of the file (the SVG namespace is not a fetch).
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/\((plots\/[^)]*)\)/);
  });
});
