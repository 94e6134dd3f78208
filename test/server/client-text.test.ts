/**
 * Text a client supplies (its hello's hostname, backend, backend reason and device, the
 * message of a task it failed) is recorded plain and bounded, and rendered into report.md
 * as inert text: no new heading, no broken table, no raw HTML tag, no link.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { silentLogger } from '../../shared/log.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { Progress, TrainTask } from '../../shared/tasks.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { MAX_CLIENT_MESSAGE_LENGTH, plainText } from '../../server/net/client-text.js';
import { markdownText } from '../../server/report/markdown.js';
import type { Results } from '../../server/report/results.js';
import { renderSuite } from '../../server/run/suite.js';
import { runScenario, type ClientLauncher } from '../../server/run/run.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { FakeEngine, FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

/** Markdown and HTML that would take over the report if it went in raw. */
const HOSTILE =
  '\n# Owned\n\n| a | b |\n| --- | --- |\n| x | y |\n<script>alert(1)</script><img src=x onerror=alert(1)> [click](http://evil.example) ![i](http://evil.example/i.png) **bold** `code` <!-- hide -->\u001b[31m\u202eend\r\n';
/** The same in fewer characters, for fields of at most 200. */
const SHORT_HOSTILE = '\n# Owned\n| a | b |\n<script>alert(1)</script> [click](http://evil.example)\u202e';
/** Unprintable characters: none may survive into a record. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Lines that Markdown reads as headings, table rows or raw HTML, outside what the report writes itself. */
function takeovers(markdown: string): string[] {
  return markdown.split('\n').filter((line) => /^#+ Owned|^\| (a|x) \||<(script|img|!--)/i.test(line) || /(^|[^\\])\[click\]|(^|[^\\])!\[i\]/.test(line));
}

describe('text a client supplies', () => {
  const tempDir = useTempDir('streamssl-client-text-');
  const sockets: Socket[] = [];
  let coordinator: Coordinator | null = null;
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.close());
    await coordinator?.close();
    coordinator = null;
  });

  it('is made plain and bounded: one line, no control, bidirectional or zero-width characters', () => {
    expect(plainText('a\nb\r\n\tc\u001b[0m\u202ed\u200be')).toBe('a b c [0m d e');
    expect(plainText('x'.repeat(10), 5)).toBe('xxxx…');
    expect(plainText('ab\ud83d\ude00c', 4)).toBe('ab…');
    expect(plainText(HOSTILE, MAX_CLIENT_MESSAGE_LENGTH)).not.toMatch(UNPRINTABLE);
  });

  it('renders as inert Markdown: escaped punctuation, HTML as entities, on one line', () => {
    expect(markdownText('a | b')).toBe('a \\| b');
    expect(markdownText('<b>x</b> & [l](u) *e* _f_ `c` ~s~ $m$ \\')).toBe('&lt;b&gt;x&lt;/b&gt; &amp; \\[l\\](u) \\*e\\* \\_f\\_ \\`c\\` \\~s\\~ \\$m\\$ \\\\');
    const rendered = markdownText(HOSTILE);
    expect(rendered).not.toContain('\n');
    expect(takeovers(rendered)).toEqual([]);
    // A failed suite entry keeps its row: one row, thirteen cells.
    const suite = renderSuite([{ name: 'broken', error: 'a | b <img src=x> [l](u)' }]).split('\n');
    expect(suite[2]).toBe('| broken | failed: a \\| b &lt;img src=x&gt; \\[l\\](u) | | | | | | | | | | | |');
  });

  it('enters plain: a hello with a hostile hostname, backend, reason and device is registered without its control characters', async () => {
    coordinator = await startTestCoordinator();
    const socket = io(coordinator.url, { auth: { token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION }, reconnection: false, transports: ['websocket'] });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const hello = { clientId: 'evil', pid: 1, hostname: 'host\n# Owned\u202e', backend: 'cpu\r\n| a | b |', backendReason: HOSTILE, device: '<img src=x>\u0000' };
    expect(await socket.timeout(5000).emitWithAck('hello', hello)).toEqual({ ok: true, clientId: 'evil', heartbeatSeconds: 300 });
    const [client] = coordinator.registry.list();
    expect(client).toMatchObject({ hostname: 'host # Owned ', backend: 'cpu | a | b |', device: '<img src=x> ' });
    for (const field of [client.hostname, client.backend, client.backendReason, client.device]) expect(field).not.toMatch(UNPRINTABLE);
  });

  it('is recorded plain in results.json and rendered inert in report.md, from clients that did no work', async () => {
    const dir = tempDir();
    const handles: ClientHandle[] = [];
    // Clients that describe themselves with Markdown and HTML, and fail the joint arm with more of it.
    const launcher: ClientLauncher = async ({ url, token, count }) => {
      for (let i = 0; i < count; i++) {
        const engine = new FailingEngine();
        handles.push(await startClient({ url, token, engine, clientId: `fake-${i}`, backend: `cpu${SHORT_HOSTILE}`, backendReason: HOSTILE, device: SHORT_HOSTILE, logger: silentLogger() }));
      }
      return { stop: async () => void (await Promise.all(handles.map((h) => h.close()))) };
    };
    const summary = await runScenario({ scenario: tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }, { name: 'joint', mode: 'joint' }] }), outDir: dir, launch: launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
    expect(summary.failures.map((f) => f.arm)).toEqual(['joint']);

    const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
    const recorded = [results.backend, results.arms[1].error!, ...results.clients.flatMap((c) => [c.hostname, c.backend!, c.backendReason!, c.device!])];
    for (const text of recorded) expect(text).not.toMatch(UNPRINTABLE);
    expect(results.arms[1].error).toContain('<script>alert(1)</script>');
    expect(results.arms[1].error!.length).toBeLessThanOrEqual(MAX_CLIENT_MESSAGE_LENGTH + 200);
    const journal = await readFile(join(dir, 'journal.json'), 'utf8');
    expect(journal).not.toMatch(/\\n|\\r|\\u001b|\u202e/);

    const report = await readFile(join(dir, 'report.md'), 'utf8');
    expect(takeovers(report)).toEqual([]);
    expect(report.split('\n').filter((line) => line.startsWith('#'))).toEqual(['# tiny', '## relay (relay, fine-tune)', '## joint (joint)', '## Final comparison', '## Bytes on the wire']);
    expect(report).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(report).toMatch(/^\*\*Failed\*\* after 0 finished stage\(s\): arm joint, stage 0: client fake-\d: task joint:stage-0 failed: .*\\\[click\\\]\(http:\/\/evil\.example\)/m);
    // Every row of every table has as many cells as its header.
    let columns = 0;
    for (const line of report.split('\n')) {
      if (!line.startsWith('|')) {
        columns = 0;
        continue;
      }
      const cells = line.split(/(?<!\\)\|/).length;
      if (columns === 0) columns = cells;
      expect(cells, line).toBe(columns);
    }
  });
});

/** A fake engine whose joint stage fails with a message full of Markdown and HTML, longer than a result may carry (the client cuts it). */
class FailingEngine extends FakeEngine {
  override async train(task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, onProgress: (p: Progress) => void) {
    if (task.arm === 'joint') throw new Error(`${HOSTILE}${'padding '.repeat(2000)}`);
    return super.train(task, state, replay, onProgress);
  }
}
