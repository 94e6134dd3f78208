/**
 * The dashboard's and report.html's pure parts: the report's Markdown made HTML with no tag
 * coming from text, where viewers may come from, and progress coalesced in a full batch.
 */
import { describe, expect, it } from 'vitest';
import { reachableThrough } from '../../server/observe/dashboard/dashboard.js';
import { coalesceProgress } from '../../server/observe/dashboard/viewer-feed.js';
import { markdownToHtml } from '../../server/report/html/markdown-html.js';
import { markdownText, row } from '../../server/report/markdown.js';
import type { RunEvent } from '../../shared/observe/run-events.js';

describe('report Markdown as HTML', () => {
  it('renders headings, aligned tables, strong text and inlined figures', () => {
    const md = ['# run', '', '| a | b |', '| --- | ---: |', '| x | 1.0% |', '', '**Failed** after 1 stage', '', '![a figure](plots/a.svg)', '![gone](plots/b.svg)'].join('\n');
    const html = markdownToHtml(md, (src) => (src === 'plots/a.svg' ? '<svg id="x"></svg>' : null));
    expect(html).toBe(
      '<h1>run</h1>\n<table><thead><tr><th>a</th><th style="text-align:right">b</th></tr></thead><tbody><tr><td>x</td><td style="text-align:right">1.0%</td></tr></tbody></table>\n' +
        '<p><strong>Failed</strong> after 1 stage</p>\n<figure><svg id="x"></svg><figcaption>a figure</figcaption></figure>\n<p class="missing-figure">gone</p>',
    );
  });

  it('keeps text from elsewhere inert: no tag, no markup, escaped bars stay in their cell', () => {
    const hostile = '<script>alert(1)</script> **bold?** `code?` a|b &amp; \ue001';
    const html = markdownToHtml([`## ${markdownText(hostile)}`, '', row(['h', 'i']), '| --- | --- |', row([hostile, 'x'])].join('\n'));
    expect(html).not.toMatch(/<script|<strong|<code/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; **bold?** `code?` a|b &amp;amp; \ufffd');
    expect(html.match(/<td>/g)).toHaveLength(2);
  });
});

describe('where the dashboard is reached from', () => {
  it('admits the given local address only, any for a wildcard', () => {
    expect(reachableThrough('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(reachableThrough('::ffff:127.0.0.1', '127.0.0.1')).toBe(true);
    expect(reachableThrough('10.0.0.5', '127.0.0.1')).toBe(false);
    expect(reachableThrough('10.0.0.5', '0.0.0.0')).toBe(true);
    expect(reachableThrough('::1', 'localhost')).toBe(true);
    expect(reachableThrough(undefined, '127.0.0.1')).toBe(false);
  });
});

describe('a batch of events that piled up', () => {
  it('keeps every event but progress, and the latest progress of each task, in order', () => {
    const progress = (taskId: string, step: number): RunEvent => ({ type: 'progress', t: step, client: 'c', taskId, arm: 'a', stage: 0, step, steps: 9, x: step, loss: 1 });
    const left: RunEvent = { type: 'client-left', t: 5, client: 'c', reason: 'gone' };
    const batch: Array<[number, RunEvent]> = [[1, progress('a', 1)], [2, progress('b', 1)], [3, left], [4, progress('a', 2)], [5, progress('a', 3)]];
    expect(coalesceProgress(batch).map(([n]) => n)).toEqual([2, 3, 5]);
  });
});
