/**
 * The dashboard when things go wrong, in Chromium, against a coordinator in this process
 * with fake client processes: a client killed mid-stage shows as gone and the stage's
 * retry (then its arm's failure) appears; a wrong, missing or client token is refused by
 * the page and by its namespace, and the viewer token admits no client; nothing a page
 * sends changes the run.
 */
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import { RunJournal } from '../../server/run/journal.js';
import { runScenario } from '../../server/run/run.js';
import { CLIENT_TOKEN, dashboardListen, noBrowserReason, useBrowser, VIEWER_TOKEN } from '../support/browser.js';
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { FAKE_CLIENT_ENTRY, killableLauncher } from '../support/killable-launcher.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

const skip = noBrowserReason();

/** `promise`, or a rejection naming `what` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The `connect_error` message of a socket.io connection to `url`, or "connected". */
function handshake(url: string, auth: Record<string, unknown>): Promise<string> {
  const socket: Socket = connect(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (err) => resolve(err.message));
  }).finally(() => socket.close());
}

describe.skipIf(skip !== null)('the dashboard when things go wrong', () => {
  const tempDir = useTempDir('streamssl-dashboard-faults-');
  const chromium = useBrowser('dashboard-faults');

  it('shows a killed client as gone and its retry; refuses other tokens; no page changes the run', async () => {
    const dir = tempDir();
    const scenario = tinyScenario({
      arms: [
        { name: 'doomed', mode: 'relay' },
        { name: 'steady', mode: 'relay', strategy: { name: 'replay', size: 10 } },
      ],
      // No restart: a killed client stays gone.
      clients: { stageTimeoutSeconds: 30, retries: 1, restarts: 0, parallelArms: true },
    });
    const { launcher } = killableLauncher({ entry: FAKE_CLIENT_ENTRY, env: { STREAMSSL_FAKE_DIE_ON: 'doomed:stage-1', STREAMSSL_FAKE_TRAIN_DELAY_MS: '3000' } });
    let base = '';
    let finished: ReturnType<typeof runScenario> | undefined;
    const listening = new Promise<void>((resolve) => {
      const run = runScenario({
        scenario,
        outDir: join(dir, 'run'),
        clients: 3,
        resultCheck: FAKE_RESULT_CHECK,
        launch: launcher,
        logger: silentLogger(),
        listen: dashboardListen((url) => {
          base = url;
          resolve();
        }),
      });
      finished = run;
    });
    await listening;

    const browser = await chromium.open(dir);
    const shots = chromium.shots();
    const refused = await browser.newPage();
    expect((await refused.goto(`${base}/?token=wrong`))?.status()).toBe(401);
    await refused.screenshot({ path: join(shots, 'refused.png') });

    const page = await browser.newPage();
    expect((await page.goto(`${base}/?token=${VIEWER_TOKEN}`))?.status()).toBe(200);
    await waitUntil(async () => (await page.locator('#clients tr[data-client]').count()) === 3, 'the page shows three clients', 30_000, 100);

    // What a page could send: events on its namespace are refused as read-only; the clients' namespace refuses its token.
    // A string, so that vitest leaves its import() alone: it runs in the page.
    const attempts = (await withTimeout(page.evaluate(`(async (token) => {
      const { io } = await import('/vendor/socket.io.esm.min.js');
      const view = io('/view', { auth: { token }, transports: ['websocket'], forceNew: true });
      const opened = await new Promise((resolve) => {
        view.once('connect', () => resolve('connected'));
        view.once('connect_error', (err) => resolve(err.message));
      });
      if (opened !== 'connected') return { replies: [opened], joined: '' };
      const replies = [];
      const sends = [['hello', { clientId: 'intruder', hostname: 'x', pid: 1, chunks: [0] }], ['task:result', { taskId: 'steady:stage-1', ok: true }], ['stop', {}]];
      for (const [event, payload] of sends) replies.push(await view.timeout(5000).emitWithAck(event, payload).catch((err) => ({ error: err.message })));
      view.close();
      const main = io('/', { auth: { token, protocolVersion: 1 }, transports: ['websocket'], forceNew: true, reconnection: false });
      const joined = await new Promise((resolve) => {
        main.once('connect', () => resolve('connected'));
        main.once('connect_error', (err) => resolve(err.message));
      });
      main.close();
      return { replies, joined };
    })(${JSON.stringify(VIEWER_TOKEN)})`), 20_000, 'the page\'s attempts')) as { replies: unknown[]; joined: string };
    expect(attempts.replies).toEqual(Array(3).fill({ ok: false, code: 'read_only', message: 'the dashboard is read-only' }));
    expect(attempts.joined).toBe('invalid token');

    // Refused: the page without a token, with a wrong one, with the clients' token.
    for (const query of ['', '?token=wrong', `?token=${CLIENT_TOKEN}`]) expect((await fetch(`${base}/${query}`)).status, query).toBe(401);
    // The namespace too; and the viewer token admits no client.
    expect(await handshake(`${base}/view`, { token: CLIENT_TOKEN })).toBe('invalid viewer token');
    expect(await handshake(`${base}/view`, {})).toBe('invalid viewer token');
    expect(await handshake(base, { token: VIEWER_TOKEN, protocolVersion: PROTOCOL_VERSION })).toBe('invalid token');

    // A client killed mid-stage: gone, and its stage retried.
    await waitUntil(async () => (await page.locator('#clients tr[data-state="gone"]').count()) >= 1, 'a client shows as gone', 60_000, 100);
    await waitUntil(async () => (await page.locator('#timeline [data-arm="doomed"] [data-retry="1"]').count()) >= 1, 'the retry is marked', 60_000, 100);
    expect(await page.locator('#events li[data-type="retry"]').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(shots, 'retry.png'), fullPage: true });

    const summary = await finished!;
    expect(summary.failures.map((f) => f.arm)).toEqual(['doomed']);
    await waitUntil(async () => (await page.locator('[data-failed="doomed"]').count()) === 1, 'the failure is marked', 20_000, 100);
    expect(await page.locator('#comparison tr[data-arm="doomed"]').getAttribute('data-state')).toBe('failed');
    expect(await page.locator('#comparison tr[data-arm="steady"]').getAttribute('data-state')).toBe('done');
    await page.screenshot({ path: join(shots, 'failed.png'), fullPage: true });

    // The run was not changed: no intruder joined, the steady arm ran all its stages as planned.
    const journal = await RunJournal.open(join(dir, 'run'));
    expect(journal.clients.map((c) => c.id).sort()).toEqual(['client-0', 'client-1', 'client-2']);
    expect(journal.stages('steady').map((s) => s.stage)).toEqual([0, 1, 2]);
  }, 120_000);
});
