/**
 * The dashboard of a run over two seeds, in Chromium, against a coordinator in this process
 * with in-process fake clients (seeds one after the other): the Seeds table says which seed
 * runs and which waits, the clients say the seed of the arm they train, and at the end every
 * arm shows once per seed (stages, state, its seed's floor), on the timeline and the charts
 * too. Screenshots are saved (their folder is printed).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { withSeedCount } from '../../shared/scenario-seeds.js';
import { runSeededScenario } from '../../server/run/seeds.js';
import { dashboardListen, noBrowserReason, tableRows as rows, useBrowser, VIEWER_TOKEN } from '../support/browser.js';
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

const skip = noBrowserReason();

/** The state the Seeds table gives each seed, e.g. `{ 7: 'running', 8: 'waiting' }`. */
async function seedStates(page: Page): Promise<Record<string, string>> {
  return Object.fromEntries(await page.$$eval('#seeds tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-seed') ?? '', tr.getAttribute('data-state') ?? ''])));
}

describe.skipIf(skip !== null)('the dashboard of a run over two seeds', () => {
  const tempDir = useTempDir('streamssl-dashboard-seeds-');
  const chromium = useBrowser('dashboard-seeds');

  it('shows each seed running or waiting, the seed of what each client trains, and every arm once per seed', async () => {
    const dir = tempDir();
    const scenario = withSeedCount(tinyScenario({ clients: { stageTimeoutSeconds: 30, parallelArms: false } }), 2);
    // Stages long enough to be seen running on a busy machine.
    const clients = inProcessClients({ trainDelayMs: 1500 });
    let base = '';
    let finished: ReturnType<typeof runSeededScenario> | undefined;
    await new Promise<void>((resolve) => {
      finished = runSeededScenario({
        scenario,
        outDir: join(dir, 'run'),
        resultCheck: FAKE_RESULT_CHECK,
        launch: clients.launcher,
        logger: silentLogger(),
        listen: dashboardListen((url) => {
          base = url;
          resolve();
        }),
      });
    });

    const browser = await chromium.open(dir);
    const shots = chromium.shots();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    expect((await page.goto(`${base}/?token=${VIEWER_TOKEN}`))?.status()).toBe(200);

    // The first seed runs, the second waits; a client trains an arm of the first seed.
    await waitUntil(async () => JSON.stringify(await seedStates(page)) === JSON.stringify({ 7: 'running', 8: 'waiting' }), 'seed 7 runs, seed 8 waits', 60_000, 100);
    const training = (seed: number) => page.locator(`#clients tr[data-seed="${seed}"][data-state="training"] td:nth-child(5)`).first().textContent({ timeout: 100 }).catch(() => null);
    const first = await waitUntil(() => training(7), 'a client trains an arm of seed 7', 60_000, 100);
    expect(first).toMatch(/^(relay-finetune|relay-replay|joint) · seed 7 · stage \d( · \d+\/\d+)?$/);
    // The waiting seed's stages count its running namesakes' plans (3 + 3 + 1), as the ETA does.
    expect((await rows(page, '#seeds')).find((r) => r[0] === '8')?.[2]).toBe('0 / 7');
    await page.screenshot({ path: join(shots, 'seed-7-running.png'), fullPage: true });
    // Then the other way round.
    await waitUntil(async () => JSON.stringify(await seedStates(page)) === JSON.stringify({ 7: 'done', 8: 'running' }), 'seed 7 done, seed 8 runs', 120_000, 100);
    expect(await waitUntil(() => training(8), 'a client trains an arm of seed 8', 60_000, 100)).toContain(' · seed 8 · ');
    await page.screenshot({ path: join(shots, 'seed-8-running.png'), fullPage: true });

    const summary = await finished!;
    expect(summary.failures).toEqual([]);
    await waitUntil(async () => (await page.locator('#totals').getAttribute('data-done')) === 'ok', 'the page shows the run done', 20_000, 100);
    const seeds = await rows(page, '#seeds');
    expect(seeds.map((r) => [r[0], r[1], r[2], r[3], r[5]])).toEqual([
      ['7', 'done', '7 / 7', '', ''],
      ['8', 'done', '7 / 7', '', ''],
    ]);
    for (const r of seeds) expect(r[4]).toMatch(/^\d+\.\d%$/);
    const comparison = await rows(page, '#comparison');
    expect(comparison.map((r) => [r[0], r[2], r[8]])).toEqual([
      ...[7, 8].flatMap((seed) => [
        [`relay-finetune · seed ${seed}`, '3 / 3', 'done'],
        [`relay-replay · seed ${seed}`, '3 / 3', 'done'],
        [`joint · seed ${seed}`, '1 / 1', 'done'],
      ]),
      ['random init · seed 7', '', ''],
      ['random init · seed 8', '', ''],
    ]);
    // Each arm against its own seed's floor and joint arm.
    for (const r of comparison.slice(0, 6)) expect(r[5]).toMatch(/^[+-]\d+\.\d pt$/);
    for (const seed of [7, 8]) expect(await page.locator(`#timeline [data-arm="relay-replay"][data-seed="${seed}"] .stage-bar[data-stage]`).count()).toBe(3);
    expect(await page.locator('#loss .chart').count()).toBe(6);
    expect(await page.locator('#events li[data-type="seed-done"]').count()).toBe(2);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(shots, 'done.png'), fullPage: true });
  }, 240_000);
});
