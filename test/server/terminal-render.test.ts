/**
 * The terminal display as a pure function of the snapshot, the choice between it and JSON
 * lines, the display drawing to a stream, and the snapshot's bounds.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunEventInput, RunEvent } from '../../shared/observe/run-events.js';
import { applyEvent, emptySnapshot, SNAPSHOT_LIMITS } from '../../shared/observe/snapshot.js';
import { RunEvents } from '../../server/observe/bus.js';
import { displayMode, TerminalDisplay } from '../../server/observe/terminal-display.js';
import { formatDuration, notableLine, renderProgress } from '../../server/observe/terminal-render.js';

function snapshotOf(events: RunEventInput[]) {
  const s = emptySnapshot();
  events.forEach((e, i) => applyEvent(s, { ...e, t: e.t ?? 1000 + i } as RunEvent));
  return s;
}

const joined = (client: string): RunEventInput => ({ type: 'client-joined', client, host: 'h', address: '127.0.0.1', pid: 1 });
const RUN: RunEventInput[] = [
  { type: 'run-started', scenario: 'tiny', resumed: false, parallelArms: true, arms: [{ name: 'relay', mode: 'relay' }, { name: 'joint', mode: 'joint' }] },
  { type: 'arms-planned', arms: [{ name: 'relay', stages: [{ stage: 0, steps: 100 }, { stage: 1, steps: 100 }], finished: 0 }, { name: 'joint', stages: [{ stage: 0, steps: 200 }], finished: 0 }] },
  joined('client-0'),
  joined('client-1'),
  joined('client-2'),
  { type: 'task-assigned', client: 'client-0', taskId: 'relay:stage-1', kind: 'train', arm: 'relay', stage: 1, steps: 100 },
  { type: 'task-started', client: 'client-0', taskId: 'relay:stage-1' },
  { type: 'progress', client: 'client-0', taskId: 'relay:stage-1', arm: 'relay', stage: 1, step: 40, steps: 100, x: 140, loss: 4.123456, stepsPerSecond: 2, imagesPerSecond: 256 },
  { type: 'task-assigned', client: 'client-1', taskId: 'joint:stage-0', kind: 'train', arm: 'joint', stage: 0, steps: 200 },
];

describe('terminal progress', () => {
  it('shows one line per busy client and an overall line with the run ETA', () => {
    const s = snapshotOf([...RUN, { type: 'stage-done', arm: 'relay', mode: 'relay', stage: 0, clients: ['client-2'], steps: 100, lossFirst: 5, lossLast: 4.5, trainSeconds: 50, imagesPerSecond: 256, handoffSeconds: 0.1, knnTop1: 0.42, linearTop1: 0.451 }]);
    const lines = renderProgress(s, 200).split('\n');
    expect(lines).toEqual([
      'client-0  relay  stage 2/2  step  40/100  loss 4.123  256 img/s  ETA 0:30',
      'client-1  joint  stage 1/1  receiving the model',
      // steps left: relay stage 2 (100 - 40) + joint (200) = 260, at 2 steps/s
      'tiny: 1/3 stages · 35% of steps · 3 client(s), 2 busy · ETA 2:10',
    ]);
    expect(renderProgress(s, 40).split('\n').every((l) => l.length <= 40)).toBe(true);
  });

  it('keeps the events that matter as lines: stages done with accuracy, retries, failures', () => {
    expect(notableLine({ type: 'stage-done', t: 1, arm: 'relay', mode: 'relay', stage: 0, clients: ['c'], steps: 1, lossFirst: 5, lossLast: 4.5, trainSeconds: 1, imagesPerSecond: 1, handoffSeconds: 0, knnTop1: 0.42, linearTop1: 0.451 })).toBe('✓ relay stage 1 done: kNN 42.0%, linear 45.1% (loss 4.500, c)');
    expect(notableLine({ type: 'retry', t: 1, taskId: 'relay:stage-1', arm: 'relay', stage: 1, attempt: 1, client: 'client-0', reason: 'disconnected' })).toMatch(/^↻ relay stage 2: client client-0 lost, retrying/);
    expect(notableLine({ type: 'arm-failed', t: 1, arm: 'relay', stage: 1, error: 'boom' })).toBe('✗ arm relay failed at stage 2: boom');
    expect(notableLine({ type: 'progress', t: 1, client: 'c', taskId: 't', arm: 'a', stage: 0, step: 1, steps: 2, x: 1, loss: 1 })).toBeNull();
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('?');
  });

  it('over several seeds, names each client\'s arm with its seed and counts the seeds', () => {
    const s = snapshotOf([
      { type: 'run-started', scenario: 'tiny', resumed: false, parallelArms: true, arms: [{ name: 'relay', mode: 'relay' }], seeds: [1, 2, 3] },
      { type: 'seed-started', seed: 1 },
      { type: 'seed-started', seed: 2 },
      { type: 'arms-planned', seed: 2, arms: [{ name: 'relay', stages: [{ stage: 0, steps: 10 }], finished: 0 }] },
      joined('client-0'),
      { type: 'task-assigned', client: 'client-0', taskId: 'seed-2:relay:stage-0', kind: 'train', seed: 2, arm: 'relay', stage: 0, steps: 10 },
      { type: 'task-started', client: 'client-0', taskId: 'seed-2:relay:stage-0' },
      { type: 'progress', client: 'client-0', taskId: 'seed-2:relay:stage-0', seed: 2, arm: 'relay', stage: 0, step: 4, steps: 10, x: 4, loss: 2.5, stepsPerSecond: 1, imagesPerSecond: 32 },
      { type: 'seed-done', seed: 1, ok: false, failures: [], error: 'no client' },
    ]);
    expect(Object.keys(s.arms)).toEqual(['relay · seed 1', 'relay · seed 2', 'relay · seed 3']);
    expect(s.arms['relay · seed 2'].loss.points).toHaveLength(1);
    expect(s.arms['relay · seed 1'].loss.points).toHaveLength(0);
    expect(renderProgress(s, 200).split('\n')).toEqual([
      'client-0  relay · seed 2  stage 1/1  step  4/10  loss 2.500  32 img/s  ETA 0:06',
      // Seed 3 waits without a plan: it counts seed 2's (10 steps); seed 1 failed and counts none.
      'tiny: 0/2 stages · seeds: 0 done, 1 running, 1 waiting, 1 failed · 20% of steps · 1 client(s), 1 busy · ETA 0:16',
    ]);
    expect(notableLine({ type: 'seed-done', t: 1, seed: 1, ok: false, failures: [], error: 'no client' })).toBe('✗ seed 1 ended: no client');
    expect(notableLine({ type: 'arm-failed', t: 1, seed: 3, arm: 'relay', error: 'boom' })).toBe('✗ arm relay · seed 3 failed: boom');
  });

  it('is drawn on a terminal only; elsewhere the log stays JSON lines', () => {
    expect(displayMode({ isTTY: true, columns: 80, env: {} })).toBe('terminal');
    expect(displayMode({ isTTY: true, columns: 0, env: {} })).toBe('json');
    expect(displayMode({ isTTY: false, env: {} })).toBe('json');
    expect(displayMode({ isTTY: undefined, env: {} })).toBe('json');
    expect(displayMode({ isTTY: true, columns: 80, env: { STREAMSSL_PROGRESS: '0' } })).toBe('json');
  });

  it('draws the snapshot to its stream and keeps notable lines above it', async () => {
    const stream = Object.assign(new PassThrough(), { columns: 120, isTTY: true }) as unknown as NodeJS.WriteStream;
    let out = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (out += d.toString()));
    const display = new TerminalDisplay(stream, 10);
    const events = new RunEvents();
    display.follow(events);
    for (const e of RUN) events.publish(e);
    events.publish({ type: 'arm-failed', arm: 'joint', error: 'boom' });
    display.close();
    expect(out).toContain('✗ arm joint failed: boom');
    expect(out).toContain('client-0  relay  stage 2/2  step  40/100  loss 4.123');
  });
});

describe('snapshot bounds', () => {
  it('keeps a long loss curve at a coarser step, and the latest notable events', () => {
    const s = snapshotOf(RUN);
    const n = SNAPSHOT_LIMITS.lossPoints * 4;
    for (let step = 1; step <= n; step++) applyEvent(s, { type: 'progress', t: step, client: 'client-0', taskId: 'relay:stage-1', arm: 'relay', stage: 1, step, steps: n, x: step, loss: 1 });
    const points = s.arms.relay.loss.points;
    expect(points.length).toBeLessThan(SNAPSHOT_LIMITS.lossPoints);
    expect(points.length).toBeGreaterThan(SNAPSHOT_LIMITS.lossPoints / 4);
    expect(points.slice(1).every((p, i) => p.x > (i === 0 ? 0 : points[i].x))).toBe(true);
    expect(points[1].x).toBeLessThanOrEqual(s.arms.relay.loss.stride);
    expect(points[points.length - 1].x).toBeGreaterThan(n * 0.95);
    for (let i = 0; i < SNAPSHOT_LIMITS.notable + 10; i++) applyEvent(s, { type: 'client-left', t: i, client: 'nobody', reason: 'x' });
    expect(s.notable).toHaveLength(SNAPSHOT_LIMITS.notable);
    expect(s.totals.droppedNotable).toBeGreaterThan(0);
  });
});
