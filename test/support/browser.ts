/**
 * Test helper: Debian's Chromium driven by playwright-core, kept off the network (no
 * background requests, no component updates), with a fresh profile in `dir`. Tests that
 * need it are skipped, with the reason printed, only where /usr/bin/chromium is absent.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can. */
export function noBrowserReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `${CHROMIUM} is absent (apt-get install -y chromium): browser tests skipped`;
  process.stderr.write(`${reason}\n`);
  return reason;
}

/** A browser context with a fresh profile under `dir`. */
export function launchBrowser(dir: string, o: { offline?: boolean } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1200, height: 1000 },
    ...(o.offline ? { offline: true } : {}),
  });
}

/** A folder for a test file's screenshots, kept after the tests (its path is printed) so they can be looked at. */
export async function screenshotDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `streamssl-${name}-shots-`));
  process.stderr.write(`screenshots of ${name}: ${dir}\n`);
  return dir;
}

/**
 * A test file's browser and screenshot folder (named after `name`): the folder made before
 * its tests, the browser `open` launches closed after them.
 */
export function useBrowser(name: string): { shots: () => string; open: (dir: string) => Promise<BrowserContext> } {
  let shots = '';
  let browser: BrowserContext | undefined;
  beforeAll(async () => {
    shots = await screenshotDir(name);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return { shots: () => shots, open: async (dir) => (browser = await launchBrowser(dir)) };
}

/** The text of every row of a page's table (a selector), cell by cell. */
export function tableRows(page: Page, table: string): Promise<string[][]> {
  return page.$$eval(`${table} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

/** The tokens of a dashboard test's run: the clients' and the viewers'. */
export const CLIENT_TOKEN = 'clients-token-of-this-test-0123456789';
export const VIEWER_TOKEN = 'viewer-token-of-this-test-9876543210';

/** The `listen` options of a run whose dashboard a test opens; `onBase` gets the dashboard's URL once it listens. */
export function dashboardListen(onBase: (base: string) => void) {
  return {
    token: CLIENT_TOKEN,
    viewerToken: VIEWER_TOKEN,
    dashboard: { host: '127.0.0.1' },
    onListening: (_urls: string[], port: number) => onBase(`http://127.0.0.1:${port}`),
  };
}
