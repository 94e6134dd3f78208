/**
 * Test helper: a run's report.html opened from disk (file://) in Chromium with the network
 * off (every request but the file itself aborted and counted). It must hold the report's
 * tables, every figure report.md links (inlined) plus the loss curves, each drawn (an SVG
 * with a size, marks and text), no script, and make no request at all.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { expect } from 'vitest';

export async function checkReportHtml(browser: BrowserContext, runDir: string, screenshot: string): Promise<void> {
  const markdown = await readFile(join(runDir, 'report.md'), 'utf8');
  const linked = [...markdown.matchAll(/^!\[.*\]\(plots\/.*\.svg\)$/gm)].length;
  expect(linked).toBeGreaterThan(0);
  const file = pathToFileURL(join(runDir, 'report.html')).href;
  const requests: string[] = [];
  const page = await browser.newPage();
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === file) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(file);
  expect(requests).toEqual([]);
  expect(await page.locator('h2', { hasText: 'Final comparison' }).count()).toBe(1);
  const figures = await page.$$eval('figure svg', (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      return { width: box.width, height: box.height, marks: svg.querySelectorAll('path, rect, line').length, texts: svg.querySelectorAll('text').length };
    }),
  );
  expect(figures).toHaveLength(linked + 1);
  for (const f of figures) {
    expect(f.width).toBeGreaterThan(100);
    expect(f.height).toBeGreaterThan(50);
    expect(f.marks).toBeGreaterThan(3);
    expect(f.texts).toBeGreaterThan(2);
  }
  expect(await page.locator('h2', { hasText: 'Loss curves' }).count()).toBe(1);
  expect(await page.locator('script').count()).toBe(0);
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
}
