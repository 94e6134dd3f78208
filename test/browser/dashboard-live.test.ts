/**
 * The dashboard of a real run in Chromium: `streamssl run` (a real coordinator) with two
 * real client processes on a tiny scenario. The page, opened from the URL the run prints,
 * shows both clients, a stage advancing, hand-offs, and at the end the comparison of the
 * arms with the random-init floor; the run it watched ends as usual. Screenshots are saved
 * (their folder is printed). Then `streamssl view` serves the finished run's page from its
 * metrics.jsonl, and its report.html opens from disk offline. (docs/dashboard.png, of a
 * run over two seeds, is made by scripts/dashboard-screenshot.mjs.)
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, noBrowserReason, screenshotDir, tableRows as rows } from '../support/browser.js';
import { checkReportHtml } from '../support/report-html-check.js';
import { spawnCli, type CliProcess } from '../support/cli-process.js';
import { quickTrainingScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

const skip = noBrowserReason();

describe.skipIf(skip !== null)('the dashboard of a live run', () => {
  const tempDir = useTempDir('streamssl-dashboard-live-');
  let shots: string;
  let browser: BrowserContext;
  let run: CliProcess | null = null;
  const views: CliProcess[] = [];
  beforeAll(async () => {
    shots = await screenshotDir('dashboard-live');
  });
  afterAll(async () => {
    run?.kill();
    for (const view of views) view.kill();
    await browser?.close();
  });

  it('shows both clients, stages advancing, hand-offs and the final comparison', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.json');
    // Stages long enough to be seen running: on a fast machine, 3 epochs per chunk made
    // each stage shorter than one progress interval (1 s), so no step but the first showed.
    await writeFile(file, JSON.stringify(quickTrainingScenario({ name: 'dashboard-live', training: { epochsPerChunk: 30, batchSize: 16 } })));
    run = spawnCli(['run', file, '--out', join(dir, 'run'), '--clients', '2']);
    const [, url] = await run.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/, 60_000);
    browser = await launchBrowser(dir);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);

    // Both clients, as soon as they joined.
    await waitUntil(async () => (await page.locator('#clients tr[data-client]:not([data-state="gone"])').count()) === 2, 'the page shows two clients', 60_000, 200);
    // A stage advancing: a client training, then that client's step moving on. On a fast
    // machine a stage can end within one progress interval (1 s), so the next step shown
    // may be its last, reported as the client turns to sending its result.
    const stepIn = async (row: string) => {
      const text = await page.locator(`${row} td:nth-child(5)`).first().textContent({ timeout: 100 }).catch(() => null);
      const match = text?.match(/(\d+)\/(\d+)/);
      return match ? Number(match[1]) : null;
    };
    const first = await waitUntil(async () => {
      const training = page.locator('#clients tr[data-state="training"]').first();
      const client = await training.getAttribute('data-client', { timeout: 100 }).catch(() => null);
      const step = client === null ? null : await stepIn(`#clients tr[data-client="${client}"]`);
      return client !== null && step !== null ? { client, step } : null;
    }, 'a client trains', 90_000, 100);
    await waitUntil(async () => {
      const step = await stepIn(`#clients tr[data-client="${first.client}"]`);
      return step !== null && step !== first.step;
    }, 'the step moves on', 60_000, 100);
    await page.screenshot({ path: join(shots, 'training.png'), fullPage: true });
    // A relay hand-off: a stage done, then the next one on its way.
    await waitUntil(async () => (await page.locator('#timeline [data-arm="relay"] .stage-bar[data-stage]').count()) >= 1, 'a relay stage is done', 90_000, 200);
    await waitUntil(async () => (await page.locator('[data-handoff="relay"]').count()) >= 2, 'hand-offs are listed', 60_000, 200);
    const midRun = join(shots, 'hand-off.png');
    await page.screenshot({ path: midRun, fullPage: true });

    expect(await run.exited).toBe(0);
    // The run's end reaches the page before the coordinator closes.
    await waitUntil(async () => (await page.locator('#totals').getAttribute('data-done')) === 'ok', 'the page shows the run done', 20_000, 200);
    const comparison = await rows(page, '#comparison');
    expect(comparison.map((r) => [r[0], r[1], r[2], r[8]])).toEqual([
      ['relay', 'relay', '3 / 3', 'done'],
      ['joint', 'joint', '1 / 1', 'done'],
      ['random init', 'floor', '', ''],
    ]);
    for (const r of comparison) expect(r[3]).toMatch(/^\d+\.\d%$/);
    expect(await page.locator('#timeline [data-arm="relay"] .stage-bar[data-stage]').count()).toBe(3);
    expect(await page.locator('#loss .chart').count()).toBe(2);
    expect(await page.locator('#accuracy .chart').count()).toBe(2);
    expect(await page.locator('#matrix table').count()).toBe(2);
    expect(await page.locator('#events li[data-type="stage-done"]').count()).toBe(4);
    // Nothing on the page acts: no control of any kind.
    expect(await page.locator('button, input, select, textarea, form').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(shots, 'done.png'), fullPage: true });

    // The finished run, offline: `streamssl view` serves the same page from metrics.jsonl.
    const view = spawnCli(['view', join(dir, 'run')]);
    views.push(view);
    const [, viewUrl] = await view.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/, 30_000);
    const refused = await page.goto(viewUrl.replace(/token=\S+/, 'token=wrong'));
    expect(refused?.status()).toBe(401);
    expect((await page.goto(viewUrl))?.status()).toBe(200);
    await waitUntil(async () => (await page.locator('#totals').getAttribute('data-done')) === 'ok', 'the view shows the run done', 20_000, 200);
    expect((await rows(page, '#comparison')).map((r) => r.slice(0, 4))).toEqual(comparison.map((r) => r.slice(0, 4)));
    expect(await page.locator('#events li[data-type="stage-done"]').count()).toBe(4);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(shots, 'view.png'), fullPage: true });

    // The same run's report.html, from disk with the network off.
    await browser.setOffline(true);
    await checkReportHtml(browser, join(dir, 'run'), join(shots, 'report-html.png'));
  }, 180_000);
});
