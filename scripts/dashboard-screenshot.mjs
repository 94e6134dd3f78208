#!/usr/bin/env node
// Makes docs/dashboard.png, the README's picture of the dashboard, from a live run: the
// quickstart over two seeds with short stages and evaluations (at the lowest CPU priority), watched in
// Debian's headless Chromium (playwright-core, flags as test/support/browser.ts) and
// photographed mid-run, once both seeds show progress and some stages have results. The
// run is stopped after the picture.
//
//   node scripts/dashboard-screenshot.mjs [OUT.png] [-- extra streamssl run options]
//
// Needs /usr/bin/chromium (apt-get install -y chromium) and the quickstart's data.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const split = process.argv.indexOf('--');
const args = split < 0 ? process.argv.slice(2) : process.argv.slice(2, split);
const extra = split < 0 ? [] : process.argv.slice(split + 1);
const out = resolve(args[0] ?? join(ROOT, 'docs/dashboard.png'));
/** Longest wait for the picture's moment: a busy machine trains slowly. */
const TIMEOUT_MS = Number(process.env.SCREENSHOT_TIMEOUT_MS ?? 60 * 60 * 1000);

/** Short stages and evaluations (2,000 training and 1,000 test images, 5 linear epochs), so that the moment comes within minutes. */
const SHORT = ['training.epochsPerChunk=0.2', 'evaluation.trainSamples=2000', 'evaluation.testSamples=1000', 'evaluation.linear.epochs=5'].flatMap((set) => ['--set', set]);
const work = await mkdtemp(join(tmpdir(), 'streamssl-dashboard-shot-'));
const runArgs = ['-n', '19', process.execPath, join(ROOT, 'bin/streamssl.mjs'), 'run', join(ROOT, 'scenarios/quickstart.json'), '--seeds', '2', ...SHORT, '--clients', '2', '--out', join(work, 'run'), ...extra];
// Its own process group, so that stopping it stops its clients too.
const run = spawn('nice', runArgs, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STREAMSSL_PROGRESS: '0' } });
let output = '';
const url = await new Promise((resolveUrl, reject) => {
  const look = (chunk) => {
    output = (output + chunk.toString()).slice(-100_000);
    const match = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[^\s"]+)/.exec(output);
    if (match) resolveUrl(match[1]);
  };
  run.stdout.on('data', look);
  run.stderr.on('data', look);
  run.on('exit', (code) => reject(new Error(`the run ended (${code}) before printing its dashboard's URL:\n${output.slice(-3000)}`)));
});
console.log(`run in ${work}, dashboard ${url.replace(/token=.*/, 'token=…')}`);

const browser = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  viewport: { width: 1200, height: 1000 },
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  const deadline = Date.now() + TIMEOUT_MS;
  // The moment: both seeds have stages done or training under way, a stage's accuracy is in, a client trains and the ETA is known.
  for (;;) {
    const ready = await page.evaluate(() => {
      const seeds = [...document.querySelectorAll('#seeds tbody tr')];
      const progressed = seeds.filter((tr) => !/^0 \//.test(tr.children[2]?.textContent ?? '') || (tr.children[3]?.textContent ?? '') !== '');
      const accuracies = [...document.querySelectorAll('#comparison tbody tr:not([data-arm="random init"]) td[data-metric="knn"]')].filter((td) => td.textContent !== '–');
      const training = document.querySelectorAll('#clients tr[data-state="training"]').length;
      return seeds.length === 2 && progressed.length === 2 && accuracies.length >= 1 && training > 0 && document.querySelector('#totals')?.dataset.eta !== '';
    });
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the run did not reach a picture-worthy moment in time');
    if (run.exitCode !== null) throw new Error(`the run ended (${run.exitCode}) first:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  // Let the charts draw the latest batch.
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  try {
    process.kill(-run.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  await new Promise((r) => (run.exitCode !== null ? r() : run.on('exit', r)));
  await rm(work, { recursive: true, force: true });
}
