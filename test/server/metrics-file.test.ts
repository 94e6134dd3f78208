/** metrics.jsonl: a failed append loses neither the run nor its lines; damaged lines are skipped when read back. */
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunEvents } from '../../server/observe/bus.js';
import { MetricsFile } from '../../server/observe/metrics-file.js';
import { readMetricsFile } from '../../server/observe/read-metrics.js';
import { useTempDir } from '../support/temp-dir.js';

describe('metrics.jsonl', () => {
  const tempDir = useTempDir('streamssl-metrics-file-');

  it('keeps the lines of a failed append for the next one, and drops progress first when they pile up', async () => {
    const path = join(tempDir(), 'metrics.jsonl');
    let failing = true;
    const events = new RunEvents();
    const file = new MetricsFile(path, events, {
      flushMs: 60_000,
      maxQueuedBytes: 4000,
      append: async (p, text) => {
        if (failing) throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
        await appendFile(p, text);
      },
    });
    events.publish({ type: 'arm-failed', arm: 'relay', error: 'boom' });
    for (let step = 1; step <= 100; step++) events.publish({ type: 'progress', client: 'c', taskId: `t${step}`, arm: 'relay', stage: 0, step: 1, steps: 1, x: 1, loss: 1 });
    await file.flush(); // fails: everything stays queued
    failing = false;
    await file.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines[0].type).toBe('arm-failed');
    expect(file.droppedLines).toBeGreaterThan(0);
    expect(lines.length + file.droppedLines).toBe(101);
  });

  it('reads back valid events and skips damaged or overlong lines', async () => {
    const path = join(tempDir(), 'metrics.jsonl');
    const good = JSON.stringify({ type: 'random-init', t: 1, knnTop1: 0.5, linearTop1: 0.6 });
    await writeFile(path, [good, '{"type":"random-init","t":2,"knnTop1":7}', 'not json', `"${'x'.repeat(5000)}"`, '{"type":"client-left","t":3,"client":"c","reason":"x"}', '{"type":"run-do'].join('\n'));
    const read = await readMetricsFile(path, { maxLineBytes: 1000 });
    expect(read.events).toBe(2);
    expect(read.skipped).toBe(4);
    expect(read.snapshot.randomInit).toEqual({ knnTop1: 0.5, linearTop1: 0.6 });
    expect(read.problems[0]).toMatch(/metrics\.jsonl:2: not a run event/);
  });
});
